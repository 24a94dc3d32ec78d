"""Document-level lockout risks and allow-lists that do nothing.

Whether a state of the organization locks anyone out is decided by the evaluator over
sentinel requests, in ``aigov.policy.lockout``; these checks only point at a statement
while it is being written. SCP rule (AWS Organizations User Guide, "SCP evaluation"): at every level from Root down
to the account, some attached SCP must Allow the action, and no SCP on the way may Deny
it. So an Allow beside FullAWSAccess adds nothing, a level without any Allow denies
everything below it, and a broad Deny without an exemption cannot be undone from inside.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from aigov.findings import Finding, finding
from aigov.policy.checks.document import PolicyDoc, actions_of, as_list, condition_keys
from aigov.policy.match import action_matches
from aigov.policy.render import RenderedPolicy
from aigov.policy.types import SCP
from aigov.spec.model import Spec

# Condition keys that can single out a break-glass principal.
PRINCIPAL_KEYS = ("aws:principalarn", "aws:principaltag/", "aws:userid", "aws:username",
                  "aws:principalaccount")
# One action of each global service a Region deny must leave alone (AWS's example SCP
# "Deny access to AWS based on the requested AWS Region" exempts all of them).
GLOBAL_SENTINELS = ("iam:CreateRole", "organizations:DescribeOrganization", "sts:GetCallerIdentity",
                    "support:CreateCase", "cloudfront:CreateDistribution",
                    "route53:ChangeResourceRecordSets")
REGION_OPERATORS = ("StringNotEquals", "StringNotLike", "StringNotEqualsIgnoreCase")


def _statements(document: Any) -> list[tuple[int, dict]]:
    return [(i, s) for i, s in PolicyDoc(document, SCP).statements() if isinstance(s, dict)]


def _matches(stmt: dict, action: str) -> bool:
    """Does the statement's Action / NotAction cover ``action`` (case-insensitive)?"""
    element, values = actions_of(stmt)
    hit = any(isinstance(p, str) and action_matches(p, action) for p in values)
    return hit if element == "Action" else (element == "NotAction" and not hit)


def check_deny_all_without_break_glass(doc: PolicyDoc) -> Iterator[Finding]:
    """A Deny of every action (``"Action": "*"`` or a NotAction list) names a principal
    that stays exempt, so a wrong guardrail can be undone.

    Passes: ``{"Effect": "Deny", "NotAction": ["iam:*"], "Resource": "*", "Condition":
    {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/break-glass"}}}``.
    Fails: ``{"Effect": "Deny", "Action": "*", "Resource": "*"}`` ->
    LOCKOUT_DENY_ALL_NO_BREAK_GLASS.
    """
    for i, stmt in doc.statements():
        if not isinstance(stmt, dict) or stmt.get("Effect") != "Deny":
            continue
        element, values = actions_of(stmt)
        if not (element == "NotAction" or "*" in values):
            continue
        keys = [k.lower() for _, k in condition_keys(stmt)]
        if not any(k.startswith(p) for k in keys for p in PRINCIPAL_KEYS):
            yield doc.at("LOCKOUT_DENY_ALL_NO_BREAK_GLASS", "this statement denies "
                         f"{'every action' if element == 'Action' else 'all but a few actions'}"
                         " with no aws:PrincipalArn exemption for a break-glass role",
                         statement=i, element=element)


def check_region_deny_exemptions(doc: PolicyDoc) -> Iterator[Finding]:
    """A Deny conditioned on ``aws:RequestedRegion`` leaves global services alone.

    Passes: AWS's example, ``"NotAction": ["iam:*", "organizations:*", "sts:*", ...]``.
    Fails: ``{"Effect": "Deny", "Action": "*", "Resource": "*", "Condition":
    {"StringNotEquals": {"aws:RequestedRegion": ["eu-west-1"]}}}`` ->
    LOCKOUT_REGION_DENY_NO_GLOBAL_EXEMPTIONS (IAM, Organizations, STS... are blocked).
    """
    for i, stmt in doc.statements():
        if not isinstance(stmt, dict) or stmt.get("Effect") != "Deny":
            continue
        region = [op for op, k in condition_keys(stmt) if k.lower() == "aws:requestedregion"
                  and op.removesuffix("IfExists") in REGION_OPERATORS]
        if not region:
            continue
        blocked = [a for a in GLOBAL_SENTINELS if _matches(stmt, a)]
        if blocked:
            element, _ = actions_of(stmt)
            yield doc.at("LOCKOUT_REGION_DENY_NO_GLOBAL_EXEMPTIONS", "this Region deny also "
                         f"blocks global services: {', '.join(blocked)}", statement=i,
                         element=element)


def check_allow_list_beside_full_access(spec: Spec, rendered: dict[str, RenderedPolicy],
                                        file: str = "") -> Iterator[Finding]:
    """An SCP with Allow statements sits where FullAWSAccess is detached; beside it, its
    Allows are a union with "allow everything" and restrict nothing.

    Passes: an allow-list at Sandbox with ``detach_from: [Sandbox]``.
    Fails: the seed's ``ai-model-dev-policy`` (Allow sagemaker, lambda, s3) at
    AI/Development with FullAWSAccess still attached -> SCP_ALLOW_LIST_BESIDE_FULL_ACCESS.
    """
    for policy in spec.policies:
        if policy.type != SCP or policy.name not in rendered:
            continue
        doc = rendered[policy.name].document
        allow = [i for i, s in _statements(doc) if s.get("Effect") == "Allow"]
        if not allow:
            continue
        for target in policy.targets:
            level = spec.normalize_target(target)
            if spec.full_aws_access_at(level):
                yield finding("SCP_ALLOW_LIST_BESIDE_FULL_ACCESS", f"{policy.name} allows "
                              f"{', '.join(_names(doc))} at {level}, where FullAWSAccess "
                              "already allows every action: it restricts nothing",
                              file=rendered[policy.name].file, statement=allow[0],
                              element="Effect", key=level)


def _names(document: Any) -> list[str]:
    return [str(a) for _, s in _statements(document) if s.get("Effect") == "Allow"
            for a in as_list(s.get("Action") or s.get("NotAction"))]
