"""Decide a request against the SCPs and RCPs of an organization, and say why.

AWS Organizations User Guide, "SCP evaluation" and "RCP evaluation":

- An explicit ``Deny`` in any policy at any level (Root, each OU, the account) wins.
- Otherwise every level from Root down to the account needs a policy with an ``Allow``
  that matches the request; a level without one denies (an implicit deny). FullAWSAccess
  is an ordinary attached policy, so detaching it leaves its level without an Allow.
- RCPs are evaluated the same way for the account that owns the resource;
  ``RCPFullAWSAccess`` is attached at every level and cannot be detached, so in
  practice only an RCP ``Deny`` restricts. RCPs apply to a fixed list of services
  (``RCP_SERVICES``).
- SCPs and RCPs do not restrict the management account (its principals, its resources),
  and SCPs do not restrict service-linked roles: the decision then says *exempt*, since
  an "allow" would hide that the guardrail never applies.

A ``Decision`` is data (``to_dict``) and text (``reason``, ``explain()``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from aigov.policy.parse import Policy, Statement

DEFAULT_PRINCIPAL = "arn:aws:iam::111122223333:role/Dev"
SERVICE_LINKED_MARK = ":role/aws-service-role/"
# AWS Organizations User Guide, "Resource control policies": "List of AWS services that
# support RCPs" (Amazon S3, AWS STS, AWS KMS, Amazon SQS, AWS Secrets Manager, Amazon
# ECR, Amazon OpenSearch Serverless, Amazon Cognito, Amazon CloudWatch Logs, DynamoDB).
RCP_SERVICES = frozenset({"s3", "sts", "kms", "sqs", "secretsmanager", "ecr", "aoss",
                          "cognito-identity", "logs", "dynamodb"})


@dataclass(frozen=True, slots=True)
class Request:
    """One request. ``context`` keys are lower case (condition keys are case-insensitive);
    each value is a tuple (one item for a single-valued key)."""

    action: str
    resource: str
    context: Mapping[str, tuple[str, ...]]
    principal: str
    account: str
    key: tuple[Any, ...]

    @property
    def service(self) -> str:
        return self.action.split(":", 1)[0].lower()

    @property
    def service_linked(self) -> bool:
        return SERVICE_LINKED_MARK in self.principal


def account_of(arn: str) -> str:
    parts = arn.split(":")
    return parts[4] if len(parts) > 5 else ""


def make_request(action: str, resource: str = "*",
                 context: Mapping[str, str | Sequence[str]] | None = None,
                 principal: str | None = None, account: str | None = None) -> Request:
    """Build a ``Request``; ``aws:PrincipalArn`` / ``aws:PrincipalAccount`` are filled
    from ``principal`` when the context does not give them (DESIGN.md batch contract)."""
    principal = principal or DEFAULT_PRINCIPAL
    ctx: dict[str, tuple[str, ...]] = {}
    for k, v in (context or {}).items():
        ctx[k.lower()] = (v,) if isinstance(v, str) else tuple(v)
    ctx.setdefault("aws:principalarn", (principal,))
    if account_of(principal):
        ctx.setdefault("aws:principalaccount", (account_of(principal),))
    account = account or account_of(principal)
    key = (action.lower(), resource, principal, account,
           tuple(sorted(ctx.items())))
    return Request(action=action, resource=resource, context=ctx, principal=principal,
                   account=account, key=key)


@dataclass(frozen=True, slots=True)
class Level:
    """One level of the hierarchy (``Root``, an OU path, ``account:NAME``, or ``scps[1]``)
    and the policies attached there, of one type."""

    label: str
    policies: tuple[Policy, ...]


@dataclass(frozen=True)
class Chain:
    """The levels from Root down to an account, of one policy type (``SCP`` or ``RCP``).

    ``key`` identifies the effective policy set, so accounts with the same path share
    cached decisions."""

    kind: str
    levels: tuple[Level, ...]
    key: tuple[Any, ...] = field(init=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", (self.kind, tuple(
            tuple(id(p) for p in lv.policies) for lv in self.levels)))


@dataclass(frozen=True)
class Hit:
    """A statement that decided, located: type, level, policy, statement."""

    kind: str
    level: str
    policy: str
    statement: int
    sid: str = ""

    def text(self) -> str:
        sid = f" ({self.sid})" if self.sid else ""
        return f"{self.kind} {self.policy} statement {self.statement}{sid} at {self.level}"

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.kind, "level": self.level, "policy": self.policy,
                "statement": self.statement, "sid": self.sid}


@dataclass(frozen=True)
class Decision:
    """``decision`` is allow or deny; ``basis`` says how: explicit-deny, implicit-deny,
    allow, or exempt (the policies do not apply to this principal or resource)."""

    decision: str
    basis: str
    reason: str
    deny: Hit | None = None
    missing: tuple[str, str, tuple[str, ...]] | None = None  # kind, level, attached names
    allows: tuple[Hit, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def allowed(self) -> bool:
        return self.decision == "allow"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"decision": self.decision, "basis": self.basis,
                               "reason": self.reason}
        if self.deny:
            out["deny"] = self.deny.to_dict()
        if self.missing:
            kind, level, names = self.missing
            out["missing_allow"] = {"type": kind, "level": level, "attached": list(names)}
        if self.allows:
            out["allows"] = [h.to_dict() for h in self.allows]
        if self.notes:
            out["notes"] = list(self.notes)
        return out

    def explain(self) -> str:
        """Several lines: the decision, then each level's deciding statement."""
        lines = [f"{self.decision.upper()}: {self.reason}"]
        for h in self.allows:
            lines.append(f"  {h.kind} level {h.level}: allowed by {h.policy} statement "
                         f"{h.statement}" + (f" ({h.sid})" if h.sid else ""))
        lines.extend(f"  note: {n}" for n in self.notes)
        return "\n".join(lines)


def _policy_result(policy: Policy, req: Request) -> tuple[Statement | None, Statement | None]:
    """The first matching Deny and the first matching Allow of one policy."""
    denies, allows = policy.candidates(req.key[0])
    deny = next((s for s in denies if s.applies(req.resource, req.context)), None)
    allow = None if deny else next(
        (s for s in allows if s.applies(req.resource, req.context)), None)
    return deny, allow


class Evaluator:
    """Evaluates requests against chains, caching per (policy, request) and per
    (effective policy set, request): Root's policies are evaluated once per request
    for the whole organization, and accounts sharing a path share one decision."""

    def __init__(self, cache: bool = True, limit: int = 2_000_000) -> None:
        self.cache = cache
        self.limit = limit
        self.evaluations = 0
        self.clear()

    def clear(self) -> None:
        self._decisions: dict[tuple[int, int, str | None, int], Decision] = {}
        self._policies: dict[tuple[int, int], tuple[Statement | None, Statement | None]] = {}
        # Small integer ids for requests and effective policy sets, so cache keys hash
        # fast; the objects are held so their id() stays theirs.
        self._req_ids: dict[int, tuple[Request, int]] = {}
        self._req_keys: dict[tuple[Any, ...], int] = {}
        self._chain_ids: dict[int, tuple[Chain, int]] = {}
        self._chain_keys: dict[tuple[Any, ...], int] = {}

    def _request_id(self, req: Request) -> int:
        got = self._req_ids.get(id(req))
        if got is None:
            rid = self._req_keys.setdefault(req.key, len(self._req_keys))
            got = self._req_ids[id(req)] = (req, rid)
        return got[1]

    def _chain_id(self, c: Chain | None) -> int:
        if c is None:
            return -1
        got = self._chain_ids.get(id(c))
        if got is None:
            cid = self._chain_keys.setdefault(c.key, len(self._chain_keys))
            got = self._chain_ids[id(c)] = (c, cid)
        return got[1]

    def _result(self, policy: Policy, req: Request,
                rid: int) -> tuple[Statement | None, Statement | None]:
        if rid < 0:
            return _policy_result(policy, req)
        k = (id(policy), rid)
        hit = self._policies.get(k)
        if hit is None:
            hit = self._policies[k] = _policy_result(policy, req)
        return hit

    def decide(self, req: Request, scps: Chain | None, rcps: Chain | None = None, *,
               management_account: str | None = None) -> Decision:
        if not self.cache:
            self.evaluations += 1
            return self._decide(req, scps, rcps, management_account, -1)
        if len(self._policies) >= self.limit or len(self._req_ids) >= self.limit:
            self.clear()
        rid = self._request_id(req)
        key = (self._chain_id(scps), self._chain_id(rcps), management_account, rid)
        hit = self._decisions.get(key)
        if hit is None:
            self.evaluations += 1
            hit = self._decisions[key] = self._decide(req, scps, rcps, management_account, rid)
        return hit

    def _decide(self, req: Request, scps: Chain | None, rcps: Chain | None,
                management: str | None, rid: int) -> Decision:
        notes: list[str] = []
        chains: list[Chain] = []
        principal_account = req.context.get("aws:principalaccount", ("",))[0]
        if scps is not None:
            if management and principal_account == management:
                notes.append("SCPs do not restrict the management account's principals")
            elif req.service_linked:
                notes.append("SCPs do not restrict service-linked roles")
            else:
                chains.append(scps)
        if rcps is not None:
            if management and req.account == management:
                notes.append("RCPs do not restrict the management account's resources")
            elif req.service not in RCP_SERVICES:
                notes.append(f"RCPs do not apply to {req.service} (not a service RCPs support)")
            else:
                chains.append(rcps)
        if not chains and notes:
            return Decision("allow", "exempt", "not restricted: " + "; ".join(notes),
                            notes=tuple(notes))
        for chain in chains:  # an explicit Deny anywhere wins
            for level in chain.levels:
                for policy in level.policies:
                    deny, _ = self._result(policy, req, rid)
                    if deny is not None:
                        hit = Hit(chain.kind, level.label, policy.name, deny.index, deny.sid)
                        return Decision("deny", "explicit-deny", "explicit deny by "
                                        + hit.text(), deny=hit, notes=tuple(notes))
        allows: list[Hit] = []
        for chain in chains:  # then every level needs a matching Allow
            for level in chain.levels:
                found = None
                for policy in level.policies:
                    _, allow = self._result(policy, req, rid)
                    if allow is not None:
                        found = Hit(chain.kind, level.label, policy.name, allow.index,
                                    allow.sid)
                        break
                if found is None:
                    names = tuple(p.name for p in level.policies)
                    attached = ", ".join(names) if names else f"no {chain.kind} attached"
                    return Decision("deny", "implicit-deny",
                                    f"implicit deny: no {chain.kind} Allow matches at "
                                    f"{level.label} (attached: {attached})",
                                    missing=(chain.kind, level.label, names),
                                    notes=tuple(notes))
                allows.append(found)
        kinds = " and ".join(dict.fromkeys(c.kind for c in chains)) or "no policies"
        reason = (f"allowed: every {kinds} level has a matching Allow ("
                  + "; ".join(f"{h.kind} {h.level}: {h.policy} statement {h.statement}"
                             for h in allows)
                  + ")") if allows else "allowed: no SCPs or RCPs apply"
        return Decision("allow", "allow", reason, allows=tuple(allows), notes=tuple(notes))


def chain(kind: str, levels: Iterable[tuple[str, Iterable[Policy]]]) -> Chain:
    return Chain(kind, tuple(Level(label, tuple(ps)) for label, ps in levels))
