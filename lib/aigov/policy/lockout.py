"""Lockout: sentinel requests that must stay allowed everywhere, decided by the evaluator.

AWS SCP evaluation ("SCP evaluation", AWS Organizations User Guide): a request is allowed
only if every level from Root down to the account has an SCP whose Allow matches it and
no SCP on the way denies it; RCPs work the same way for the resource's account
(https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html).
A guardrail that breaks this for the people who run the organization cannot be undone
from inside the accounts. Reading the words of a policy ("has an Allow", "Action *")
misses most ways to do it: an ``Allow`` with ``NotAction "*"``, an ``Allow *`` whose
condition never holds or that names one bucket, a ``Deny *`` conditioned on
``aws:PrincipalArn like "*"`` or scoped to ``arn:*``, a ``Deny *`` at an OU, an S3-only
allow-list replacing FullAWSAccess. So this module asks the project's evaluator.

For every OU (an account placed in it) and every account of a state, each *sentinel
request* must be allowed: the governance and break-glass roles that
``protect-governance-roles`` names (``governance_role_arns``, ``break_glass_role_arns``)
assuming a role, creating an IAM role, reading the organization and opening a support
case, plus whatever the spec adds under ``lockout.sentinels``. The lint checks the
spec's state; the deploy gate checks the same state and every intermediate state of
the step order the engine runs (``engine_steps``). One finding per level, at the
topmost level that is locked (everything below it is locked by it too).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from aigov.findings import Finding, finding
from aigov.policy.evaluate import Decision, Evaluator, Request, chain, make_request
from aigov.policy.explain import explain
from aigov.policy.managed import FULL_AWS_ACCESS as FULL_AWS_ACCESS_DOC
from aigov.policy.managed import FULL_AWS_ACCESS_NAME as FULL_AWS_ACCESS
from aigov.policy.parse import Policy, parse_policy
from aigov.policy.render import RCP_FULL_AWS_ACCESS, RCP_FULL_AWS_ACCESS_NAME, RenderedPolicy
from aigov.spec.model import ROOT, Spec

TYPES = {"SERVICE_CONTROL_POLICY": "SCP", "RESOURCE_CONTROL_POLICY": "RCP"}
MANAGED = {"SCP": (FULL_AWS_ACCESS, FULL_AWS_ACCESS_DOC),
           "RCP": (RCP_FULL_AWS_ACCESS_NAME, RCP_FULL_AWS_ACCESS)}
# An OU stands for a member account placed in it (any id but the management account's).
OU_ACCOUNT = "111122223333"
DEFAULT_PRINCIPALS = ("arn:aws:iam::${account}:role/OrganizationAccountAccessRole",)
# One request per thing an administrator must still be able to do: get into the account,
# administer IAM, read the organization, ask AWS for help.
DEFAULT_REQUESTS = (
    ("sts:AssumeRole", "arn:aws:iam::${account}:role/OrganizationAccountAccessRole"),
    ("iam:CreateRole", "arn:aws:iam::${account}:role/aigov-lockout-sentinel"),
    ("organizations:DescribeOrganization", "*"),
    ("organizations:ListAccounts", "*"),
    ("support:CreateCase", "*"),
)
DEFAULT_CONTEXT = {"aws:RequestedRegion": "us-east-1", "aws:SecureTransport": "true"}


@dataclass(frozen=True)
class Sentinel:
    """A request that must stay allowed; ``${account}`` is each checked account's id."""

    action: str
    resource: str
    principal: str
    context: Mapping[str, Any] = field(default_factory=dict)

    def request(self, account: str) -> Request:
        sub = lambda s: s.replace("${account}", account)  # noqa: E731
        return make_request(self.action, sub(self.resource),
                            {k: [sub(x) for x in v] if isinstance(v, list | tuple) else sub(v)
                             for k, v in self.context.items()}, sub(self.principal), account)

    def describe(self, account: str) -> str:
        r = self.request(account)
        return f"{r.principal} calling {r.action} on {r.resource}"


def _as_principal(pattern: str) -> str:
    """``arn:aws:iam::*:role/x`` -> ``arn:aws:iam::${account}:role/x``; any other ``*``
    stands for one concrete name."""
    parts = pattern.split(":", 5)
    if len(parts) == 6 and parts[4] in ("*", ""):
        parts[4] = "${account}"
    return ":".join(parts).replace("*", "sentinel")


def sentinels(spec: Spec) -> list[Sentinel]:
    """The default sentinels for the roles ``protect-governance-roles`` names, then the
    spec's own ``lockout.sentinels``."""
    values: dict[str, Any] = dict(spec.parameters)
    guard = spec.policy("protect-governance-roles")
    if guard is not None:
        values.update(guard.parameters)
    roles = [*_strings(values.get("governance_role_arns")),
             *_strings(values.get("break_glass_role_arns"))] or list(DEFAULT_PRINCIPALS)
    out = [Sentinel(action, resource, _as_principal(role), DEFAULT_CONTEXT)
           for role in dict.fromkeys(roles) for action, resource in DEFAULT_REQUESTS]
    for s in spec.lockout.sentinels:
        out.append(Sentinel(s.action, s.resource, _as_principal(s.principal or roles[0]),
                            {**DEFAULT_CONTEXT, **s.context}))
    return out


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [v for v in value if isinstance(v, str)] if isinstance(value, list | tuple) else []


@dataclass
class OrgState:
    """Levels (``Root``, OU paths, ``account:NAME``) with their parent, the SCPs and RCPs
    attached to each, and the documents by name: enough to evaluate, and to replay."""

    parents: dict[str, str | None] = field(default_factory=dict)
    account_ids: dict[str, str] = field(default_factory=dict)
    attached: dict[str, dict[str, set[str]]] = field(
        default_factory=lambda: {"SCP": {}, "RCP": {}})
    documents: dict[tuple[str, str], Any] = field(default_factory=dict)
    enabled: set[str] = field(default_factory=set)

    @classmethod
    def from_spec(cls, spec: Spec, rendered: Mapping[str, RenderedPolicy]) -> OrgState:
        """The state the spec describes (FullAWSAccess where it is not detached)."""
        enabled = {TYPES[t] for t in spec.organization.enabled_policy_types if t in TYPES}
        state = cls(enabled=enabled)
        state.parents[ROOT] = None
        for path in spec.ou_paths():
            state.parents[path] = path.rpartition("/")[0] or ROOT
        management = spec.organization.management_account_id
        for acct in spec.accounts:
            if acct.id and acct.id == management:
                continue  # SCPs and RCPs do not restrict the management account
            key = spec.account_key(acct)
            state.parents[key] = spec.normalize_target(acct.ou) if acct.ou else ROOT
            state.account_ids[key] = acct.id or OU_ACCOUNT
        for kind in ("SCP", "RCP"):
            name, doc = MANAGED[kind]
            state.documents[(kind, name)] = doc
            for level in state.parents:
                if kind == "RCP" or spec.full_aws_access_at(level):
                    state.attached[kind].setdefault(level, set()).add(name)
        for pol in spec.policies:
            kind = TYPES.get(pol.type)
            if kind is None or pol.name not in rendered:
                continue
            state.documents[(kind, pol.name)] = rendered[pol.name].document
            for t in pol.targets:
                state.attached[kind].setdefault(spec.normalize_target(t), set()).add(pol.name)
        return state

    def path(self, level: str) -> list[str]:
        out: list[str] = []
        at: str | None = level
        while at is not None and at not in out:
            out.append(at)
            at = self.parents.get(at)
        return out[::-1]


@dataclass(frozen=True)
class Lock:
    """The first sentinel denied at a level, the decision, and how many were denied."""

    level: str
    sentinel: Sentinel
    decision: Decision
    denied: int
    total: int
    account: str
    explanation: str = ""  # aigov.policy.explain: the statement and each condition

    def message(self) -> str:
        more = f" ({self.denied} of {self.total} sentinel requests denied there)"
        detail = "".join(f"\n    {ln}" for ln in self.explanation.splitlines()[1:])
        return (f"{self.level}: {self.sentinel.describe(self.account)} would be denied, "
                f"{self.decision.reason}{more}{detail}")


class Judge:
    """Decides sentinels over states; parsed policies are shared between states, so the
    evaluator's caches carry from one step of a plan to the next."""

    def __init__(self, sentinel_list: Sequence[Sentinel], management: str | None = None) -> None:
        self.sentinels = list(sentinel_list)
        self.management = management
        self.evaluator = Evaluator()
        self._parsed: dict[tuple[str, str, str], Policy | None] = {}

    def _policy(self, kind: str, name: str, document: Any) -> Policy | None:
        text = document if isinstance(document, str) else repr(document)
        key = (kind, name, text)
        if key not in self._parsed:
            ptype = "SERVICE_CONTROL_POLICY" if kind == "SCP" else "RESOURCE_CONTROL_POLICY"
            try:
                self._parsed[key] = parse_policy(document, name=name, policy_type=ptype)
            except Exception:  # noqa: BLE001 - lint reports a policy that does not parse
                self._parsed[key] = None
        return self._parsed[key]

    def _chain(self, state: OrgState, kind: str, levels: Iterable[str]):  # -> Chain | None
        if kind not in state.enabled:
            return None
        rows = []
        for level in levels:
            names = sorted(state.attached[kind].get(level, ()))
            pols = [self._policy(kind, n, state.documents.get((kind, n), "")) for n in names
                    if (kind, n) in state.documents]
            rows.append((level, [p for p in pols if p is not None]))
        return chain(kind, rows)

    def lock_at(self, state: OrgState, level: str) -> Lock | None:
        """The lock at ``level`` on its own (whether or not a level above is locked)."""
        path = state.path(level)
        account = state.account_ids.get(level, OU_ACCOUNT)
        reqs = [s.request(account) for s in self.sentinels]
        chains = {"SCP": self._chain(state, "SCP", path),
                  "RCP": self._chain(state, "RCP", path)}
        decisions = self.evaluator.decide_many(reqs, chains["SCP"], chains["RCP"],
                                               management_account=self.management)
        denied = [(s, d, r) for s, d, r in zip(self.sentinels, decisions, reqs, strict=True)
                  if not d.allowed]
        if not denied:
            return None
        sentinel, decision, req = denied[0]
        return Lock(level, sentinel, decision, len(denied), len(self.sentinels), account,
                    explain(decision, req, chains).text())

    def locks(self, state: OrgState) -> dict[str, Lock]:
        """The topmost locked levels, from the top down."""
        status = {level: self.lock_at(state, level) for level in state.parents}
        return {level: lock for level in by_depth(state, status)
                if (lock := status[level]) is not None and topmost(state, status, level)}


def topmost(state: OrgState, status: Mapping[str, Lock | None], level: str) -> bool:
    """Locked, and no level above it is: a level below a locked one is not repeated."""
    return status.get(level) is not None and not any(
        status.get(p) is not None for p in state.path(level)[:-1])


def by_depth(state: OrgState, levels: Iterable[str]) -> list[str]:
    """``levels`` from the top of the tree down, by name within a depth (report order)."""
    return sorted(levels, key=lambda k: (len(state.path(k)), k))


def subtree(state: OrgState, roots: Iterable[str]) -> set[str]:
    """``roots`` and every level below them."""
    children: dict[str | None, list[str]] = {}
    for level, parent in state.parents.items():
        children.setdefault(parent, []).append(level)
    out: set[str] = set()
    todo = [r for r in roots if r in state.parents]
    while todo:
        level = todo.pop()
        if level not in out:
            out.add(level)
            todo.extend(children.get(level, ()))
    return out


def state_findings(spec: Spec, rendered: Mapping[str, RenderedPolicy],
                   file: str = "") -> Iterator[Finding]:
    """The spec's state: every level keeps every sentinel allowed (lint and gate).

    Passes: the shipped spec. Fails: FullAWSAccess at Root replaced by
    ``{"Effect": "Allow", "NotAction": "*", "Resource": "*"}`` -> LOCKOUT_SENTINEL_DENIED
    at Root, naming ``sts:AssumeRole`` and the implicit deny at Root.
    """
    judge = Judge(sentinels(spec), spec.organization.management_account_id)
    for lock in judge.locks(OrgState.from_spec(spec, rendered)).values():
        deny = lock.decision.deny
        if deny is not None and deny.policy in rendered:  # at the statement that denies
            yield finding("LOCKOUT_SENTINEL_DENIED", lock.message(),
                          file=rendered[deny.policy].file, statement=deny.statement,
                          element="Effect", key=lock.level)
        else:  # at the level, in the spec (its entry, or its detach_from entry)
            yield finding("LOCKOUT_SENTINEL_DENIED", lock.message(), file=file, key=lock.level)


def check_lockout_sentinels(spec: Spec, rendered: Mapping[str, RenderedPolicy],
                            file: str = "") -> Iterator[Finding]:
    """Every OU and account keeps the lockout sentinel requests allowed (the lint rule;
    the gate calls ``state_findings`` itself). Emits LOCKOUT_SENTINEL_DENIED.

    Passes: the shipped spec. Fails: ``Deny *`` on ``arn:*`` at Root.
    """
    yield from state_findings(spec, rendered, file)
