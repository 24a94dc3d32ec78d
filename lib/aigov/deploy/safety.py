"""The lock-out rules the gate enforces, as pure functions over policy documents.

AWS SCP evaluation needs an explicit Allow at every level from Root down to the account
("If any level has no Allow, the request is denied":
https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html).
So a plan must never leave a level without an Allow, neither once applied nor between
two of its steps, and must never put an unconditional Deny of everything at Root.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from aigov.findings import Finding, finding
from aigov.org.inventory import Inventory
from aigov.org.plan import FULL_AWS_ACCESS, Plan
from aigov.policy.render import FULL_AWS_ACCESS as FULL_AWS_ACCESS_DOC
from aigov.policy.render import RenderedPolicy, attached
from aigov.policy.types import RCP, SCP
from aigov.spec.model import ROOT, Spec


def statements(document: Any) -> list[dict[str, Any]]:
    """A document's statements as a list (``Statement`` may be one object)."""
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except ValueError:
            return []
    if not isinstance(document, dict):
        return []
    stmts = document.get("Statement", [])
    stmts = stmts if isinstance(stmts, list) else [stmts]
    return [s for s in stmts if isinstance(s, dict)]


def has_allow(documents: Iterable[Any]) -> bool:
    """True when any statement of any document allows something.

    >>> has_allow([{"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}])
    True
    >>> has_allow([{"Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]}])
    False
    """
    return any(s.get("Effect") == "Allow" for d in documents for s in statements(d))


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def denies_everything(document: Any) -> bool:
    """True for a statement ``Deny`` of ``*`` on ``*`` with no Condition (and, for an RCP,
    every principal).

    >>> denies_everything({"Statement": {"Effect": "Deny", "Action": "*", "Resource": "*"}})
    True
    >>> denies_everything({"Statement": {"Effect": "Deny", "Action": "*", "Resource": "*",
    ...     "Condition": {"StringNotEquals": {"aws:RequestedRegion": "us-east-1"}}}})
    False
    """
    for s in statements(document):
        if s.get("Effect") != "Deny" or "Condition" in s or "NotAction" in s:
            continue
        if "NotResource" in s or "NotPrincipal" in s:
            continue
        if "*" in _as_list(s.get("Action")) and "*" in _as_list(s.get("Resource", "*")):
            principal = s.get("Principal", "*")
            if principal == "*" or (isinstance(principal, dict)
                                    and "*" in _as_list(principal.get("AWS"))):
                return True
    return False


def planned_state_findings(spec: Spec, rendered: Mapping[str, RenderedPolicy]) -> Iterator[Finding]:
    """Findings on the state the spec describes: every level keeps an Allow, Root has no
    Deny of everything, FullAWSAccess leaves Root only for an allow-list."""
    enabled = spec.organization.enabled_policy_types
    for ptype in (SCP, RCP):
        if ptype not in enabled:
            continue
        for pol in attached(spec, dict(rendered), ROOT, ptype):
            if denies_everything(pol.document):
                yield finding("DEPLOY_ROOT_DENY_ALL", f"{pol.name} ({ptype}) at Root denies "
                              "every action on every resource", file=pol.file,
                              key=pol.name)
    if SCP not in enabled:
        return
    for level in spec.targets():
        docs = [p.document for p in attached(spec, dict(rendered), level, SCP)]
        if has_allow(docs):
            continue
        if level == ROOT and not spec.full_aws_access_at(ROOT):
            yield finding("DEPLOY_FULLACCESS_ROOT_DETACHED", "full_aws_access.detach_from "
                          "names Root and no other SCP at Root allows anything", key=ROOT)
        else:
            yield finding("DEPLOY_LEVEL_WITHOUT_ALLOW", f"{level} would have no SCP with an "
                          "Allow: every account below it would be denied everything",
                          key=level)


def step_findings(spec: Spec, inv: Inventory, plan: Plan) -> Iterator[Finding]:
    """Replay ``plan`` over the live SCP attachments; report the first step after which
    a level holds no Allow (a level already without one is not the plan's doing)."""
    scp_on = SCP in inv.enabled_policy_types
    if not scp_on and SCP not in spec.organization.enabled_policy_types:
        return
    docs: dict[str, Any] = {name: p.content for (t, name), p in inv.policies.items() if t == SCP}
    docs[FULL_AWS_ACCESS] = FULL_AWS_ACCESS_DOC
    held: dict[str, set[str]] = {}
    for t, name, key in inv.attachments():
        if t == SCP:
            held.setdefault(key, set()).add(name)
    levels = {k for k in [ROOT, *inv.ous, *(f"account:{a}" for a in inv.accounts)]}
    if scp_on:
        for key in levels:
            held.setdefault(key, set())
    broken_before = {k for k, names in held.items() if not has_allow(docs.get(n) for n in names)}

    for i, ch in enumerate(plan.changes):
        d = ch.detail
        if ch.kind == "policy_type" and ch.key == SCP:
            scp_on = True
            for key in levels:  # AWS attaches FullAWSAccess everywhere when SCPs are enabled
                held[key] = held.get(key, set()) | {FULL_AWS_ACCESS}
        elif ch.kind in ("ou", "account") and ch.action == "create":
            key = ch.key if ch.kind == "ou" else f"account:{ch.key}"
            levels.add(key)
            if scp_on:
                held[key] = {FULL_AWS_ACCESS}
        elif ch.kind == "policy" and d.get("type") == SCP and ch.action in ("create", "update"):
            docs[ch.key] = d.get("content", "")
        elif ch.kind == "attachment" and d.get("type") == SCP:
            names = held.setdefault(d["target"], set())
            (names.add if ch.action == "attach" else names.discard)(d["policy"])
        if not scp_on:
            continue
        for key in sorted(levels):
            if key in broken_before:
                continue
            if not has_allow(docs.get(n) for n in held.get(key, set())):
                yield finding("DEPLOY_UNSAFE_ORDER", f"after step {i + 1} "
                              f"({ch.describe()}) {key} would hold no SCP with an Allow",
                              key=key)
                return
