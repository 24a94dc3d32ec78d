"""Decide a request against the SCPs and RCPs of an organization, and say why.

AWS Organizations User Guide, "SCP evaluation" and "RCP evaluation":

- An explicit ``Deny`` in any policy at any level (Root, each OU, the account) wins.
- Otherwise every level from Root down to the account needs a policy with an ``Allow``
  that matches the request; a level without one denies (an implicit deny). FullAWSAccess
  is an ordinary attached policy, so detaching it leaves its level without an Allow.
- RCPs are evaluated the same way for the account that owns the resource;
  ``RCPFullAWSAccess`` is attached at every level and cannot be detached, so in
  practice only an RCP ``Deny`` restricts. RCPs apply to a fixed list of services
  (``services.rcp_supported_services``); the rules are in ``exemptions.py``.
- SCPs and RCPs do not restrict the management account (its principals, its resources),
  and SCPs do not restrict service-linked roles: the decision then says *exempt*, since
  an "allow" would hide that the guardrail never applies.

A ``Decision`` is data (``to_dict``) and text (``reason``, ``explain()``).

``Request``, ``Level``, ``Chain``, ``Hit`` and ``Decision`` are values: nothing assigns to
one once it is made (``Decision.relabel`` makes new ones; ``Request.key`` and ``Chain``'s
properties only fill in their own caches). They are not frozen dataclasses all the same:
a frozen one costs an ``object.__setattr__`` per field to build, and a batch of new
policies builds several per line.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from aigov.policy.exemptions import rcp_exemption, scp_exemption
from aigov.policy.parse import Policy, Statement

# AWS's documentation example account: the principal's account when nothing names one.
EXAMPLE_ACCOUNT = "111122223333"


def default_principal(account: str = EXAMPLE_ACCOUNT) -> str:
    """The principal a request is made by when it names none: a role named Dev."""
    return f"arn:aws:iam::{account}:role/Dev"


DEFAULT_PRINCIPAL = default_principal()
SERVICE_LINKED_MARK = ":role/aws-service-role/"


@dataclass(slots=True)
class Request:
    """One request. ``context`` keys are lower case (condition keys are case-insensitive);
    each value is a tuple (one item for a single-valued key). ``action_key`` is the
    action in lower case, as IAM compares actions."""

    action: str
    resource: str
    context: Mapping[str, tuple[str, ...]]
    principal: str
    account: str
    action_key: str
    _key: tuple[Any, ...] | None = field(default=None, repr=False, compare=False)

    @property
    def key(self) -> tuple[Any, ...]:
        """What identifies the request to the decision cache; built when first asked (a
        request decided without the cache never needs it)."""
        got = self._key
        if got is None:
            got = (self.action_key, self.resource, self.principal, self.account,
                   tuple(sorted(self.context.items())))
            self._key = got
        return got

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
    from ``principal`` when the context does not give them (docs/contracts/batch-simulation.md)."""
    principal = principal or DEFAULT_PRINCIPAL
    ctx: dict[str, tuple[str, ...]] = {}
    for k, v in (context or {}).items():
        ctx[k.lower()] = (v,) if isinstance(v, str) else tuple(v)
    ctx.setdefault("aws:principalarn", (principal,))
    own = account_of(principal)
    if own:
        ctx.setdefault("aws:principalaccount", (own,))
    return Request(action=action, resource=resource, context=ctx, principal=principal,
                   account=account or own, action_key=action.lower())


@dataclass(slots=True, unsafe_hash=True)
class Level:
    """One level of the hierarchy (``Root``, an OU path, ``account:NAME``, or ``scps[1]``)
    and the policies attached there, of one type."""

    label: str
    policies: tuple[Policy, ...]


@dataclass(unsafe_hash=True)
class Chain:
    """The levels from Root down to an account, of one policy type (``SCP`` or ``RCP``).

    ``key`` identifies the effective policy set, so accounts with the same path share
    cached decisions. ``key`` and ``labels`` are worked out when first read: a batch
    stream builds a new chain per line and decides most of them without a cache."""

    kind: str
    levels: tuple[Level, ...]

    @property
    def key(self) -> tuple[Any, ...]:
        got = self.__dict__.get("_key")
        if got is None:
            got = self.__dict__["_key"] = (self.kind, tuple(tuple(id(p) for p in lv.policies)
                                                            for lv in self.levels))
        return got

    @property
    def labels(self) -> tuple[str, ...]:
        got = self.__dict__.get("_labels")
        if got is None:
            got = self.__dict__["_labels"] = tuple(lv.label for lv in self.levels)
        return got

    @property
    def prefixes(self) -> tuple[tuple[Any, ...], ...]:
        """The keys of Root; Root+OU; ...; the whole chain (built when first asked)."""
        got = self.__dict__.get("_prefixes")
        if got is None:
            kind, ids = self.key
            got = self.__dict__["_prefixes"] = tuple((kind, ids[: i + 1])
                                                     for i in range(len(ids)))
        return got


@dataclass(slots=True, unsafe_hash=True)
class Hit:
    """A statement that decided, located: type, level, policy, statement."""

    kind: str
    level: str
    policy: str
    statement: int
    sid: str = ""
    depth: int = 0  # index of the level in its chain (Root is 0)

    def text(self) -> str:
        sid = f" ({self.sid})" if self.sid else ""
        return f"{self.kind} {self.policy} statement {self.statement}{sid} at {self.level}"

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.kind, "level": self.level, "policy": self.policy,
                "statement": self.statement, "sid": self.sid}


# (first explicit Deny, first level without an Allow, the Allow of each level so far)
State = tuple["Hit | None", "tuple[str, str, tuple[str, ...], int] | None", "tuple[Hit, ...]"]


@dataclass(slots=True, unsafe_hash=True)
class Decision:
    """``decision`` is allow or deny; ``basis`` says how: explicit-deny, implicit-deny,
    allow, or exempt (the policies do not apply to this principal or resource).
    ``reason`` is built on demand: a matrix makes many decisions and reads few."""

    decision: str
    basis: str
    deny: Hit | None = None
    # kind, level label, attached policy names, depth of the level without an Allow
    missing: tuple[str, str, tuple[str, ...], int] | None = None
    allows: tuple[Hit, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def reason(self) -> str:
        if self.basis == "exempt":
            return "not restricted: " + "; ".join(self.notes)
        if self.deny is not None:
            return "explicit deny by " + self.deny.text()
        if self.missing is not None:
            kind, level, names, _ = self.missing
            attached = ", ".join(names) if names else f"no {kind} attached"
            return f"implicit deny: no {kind} Allow matches at {level} (attached: {attached})"
        if not self.allows:
            return "allowed: no SCPs or RCPs apply"
        kinds = " and ".join(dict.fromkeys([h.kind for h in self.allows]))
        return (f"allowed: every {kinds} level has a matching Allow ("
                + "; ".join([f"{h.kind} {h.level}: {h.policy} statement {h.statement}"
                             for h in self.allows]) + ")")

    def relabel(self, labels: Mapping[str, tuple[str, ...]]) -> Decision:
        """This decision with level labels taken from another chain of the same
        policies (``{"SCP": labels, "RCP": labels}``): cached decisions are shared by
        accounts on the same policy path, but each names its own levels."""
        def fix(h: Hit | None) -> Hit | None:
            if h is None or h.kind not in labels or labels[h.kind][h.depth] == h.level:
                return h
            return replace(h, level=labels[h.kind][h.depth])
        missing = self.missing
        if missing is not None and missing[0] in labels:
            missing = (missing[0], labels[missing[0]][missing[3]], missing[2], missing[3])
        return replace(self, deny=fix(self.deny), missing=missing,
                       allows=tuple(fix(h) for h in self.allows))  # type: ignore[misc]

    @property
    def allowed(self) -> bool:
        return self.decision == "allow"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"decision": self.decision, "basis": self.basis,
                               "reason": self.reason}
        if self.deny:
            out["deny"] = self.deny.to_dict()
        if self.missing:
            kind, level, names, _ = self.missing
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


_NOTHING: tuple[None, None] = (None, None)


def _policy_result(policy: Policy, req: Request) -> tuple[Statement | None, Statement | None]:
    """The first matching Deny and the first matching Allow of one policy."""
    denies, allows = policy.candidates(req.action_key)
    if not denies and not allows:
        return _NOTHING
    resource, ctx = req.resource, req.context
    for s in denies:
        if s.applies(resource, ctx):
            return s, None
    for s in allows:
        if s.applies(resource, ctx):
            return None, s
    return _NOTHING


class Evaluator:
    """Evaluates requests against chains, caching per (policy, request) and per
    (effective policy set, request): Root's policies are evaluated once per request
    for the whole organization, and accounts sharing a path share one decision."""

    def __init__(self, cache: bool = True, limit: int = 2_000_000,
                 share_levels: bool = True) -> None:
        self.cache = cache
        # ``share_levels=False`` keeps only the decision cache: a stream of requests
        # that never repeat (the batch simulator's) gains nothing from caching each
        # policy's and each level's result per request, and pays for it.
        self.share_levels = share_levels
        self.limit = limit
        self.evaluations = 0
        self.clear()

    def clear(self) -> None:
        self._decisions: dict[tuple[int, int, str | None, int],
                              tuple[Decision, dict[str, tuple[str, ...]]]] = {}
        self._policies: dict[tuple[int, int], tuple[Statement | None, Statement | None]] = {}
        self._states: dict[tuple[int, int], State] = {}
        # Small integer ids for requests and chain prefixes, so cache keys hash fast;
        # the objects are held so their id() stays theirs.
        self._req_ids: dict[int, tuple[Request, int]] = {}
        self._req_keys: dict[tuple[Any, ...], int] = {}
        self._chain_ids: dict[int, tuple[Chain, tuple[int, ...]]] = {}
        self._prefix_keys: dict[tuple[Any, ...], int] = {}

    def _request_id(self, req: Request) -> int:
        got = self._req_ids.get(id(req))
        if got is None:
            rid = self._req_keys.setdefault(req.key, len(self._req_keys))
            got = self._req_ids[id(req)] = (req, rid)
        return got[1]

    def _prefix_ids(self, c: Chain) -> tuple[int, ...]:
        """Interned ids of the chain's prefixes (Root; Root+OU; ...; the whole chain)."""
        got = self._chain_ids.get(id(c))
        if got is None:
            ids = tuple(self._prefix_keys.setdefault(k, len(self._prefix_keys))
                        for k in c.prefixes)
            got = self._chain_ids[id(c)] = (c, ids)
        return got[1]

    def _chain_id(self, c: Chain) -> int:
        """The interned id of the whole chain (its last prefix). Without shared levels
        only that one is interned: a stream of new chains never asks for the others."""
        if self.share_levels:
            return self._prefix_ids(c)[-1]
        got = self._chain_ids.get(id(c))
        if got is None:
            got = self._chain_ids[id(c)] = (c, (self._prefix_keys.setdefault(
                c.key, len(self._prefix_keys)),))
        return got[1][-1]

    def _result(self, policy: Policy, req: Request,
                rid: int) -> tuple[Statement | None, Statement | None]:
        if rid < 0:
            return _policy_result(policy, req)
        k = (id(policy), rid)
        hit = self._policies.get(k)
        if hit is None:
            hit = self._policies[k] = _policy_result(policy, req)
        return hit

    @property
    def policy_evaluations(self) -> int:
        """Distinct (policy, request) evaluations held in the cache."""
        return len(self._policies)

    # Public names for callers that vectorize over requests (aigov.policy.matrix).
    def request_id(self, req: Request) -> int:
        return self._request_id(req)

    def policy_result(self, policy: Policy, req: Request,
                      rid: int) -> tuple[Statement | None, Statement | None]:
        """The first matching Deny and Allow of one policy, cached per request id."""
        return self._result(policy, req, rid)

    def decide(self, req: Request, scps: Chain | None, rcps: Chain | None = None, *,
               management_account: str | None = None) -> Decision:
        """The decision for one request made under ``scps`` against a resource under
        ``rcps`` (``None``: that policy type does not apply)."""
        return self.decide_many([req], scps, rcps, management_account=management_account)[0]

    def decide_once(self, req: Request, scps: Chain | None, rcps: Chain | None = None
                    ) -> Decision:
        """``decide`` for chains that will not be asked again (a batch line's new
        policies): no cache is read or filled, so nothing is spent on keys."""
        self.evaluations += 1
        return self._decide(req, scps, rcps, None, -1)

    def decide_many(self, reqs: Sequence[Request], scps: Chain | None,
                    rcps: Chain | None = None, *,
                    management_account: str | None = None) -> list[Decision]:
        """``decide`` for many requests under the same chains (one matrix column)."""
        if not self.cache:
            self.evaluations += len(reqs)
            return [self._decide(r, scps, rcps, management_account, -1) for r in reqs]
        if max(len(self._policies), len(self._states), len(self._req_ids),
               len(self._chain_ids), len(self._decisions)) >= self.limit:
            self.clear()
        sid = self._chain_id(scps) if scps and scps.levels else -1 - (scps is None)
        cid = self._chain_id(rcps) if rcps and rcps.levels else -1 - (rcps is None)
        labels = {c.kind: c.labels for c in (scps, rcps) if c is not None}
        out: list[Decision] = []
        cache = self._decisions
        for req in reqs:
            key = (sid, cid, management_account, self._request_id(req))
            hit = cache.get(key)
            if hit is None:
                self.evaluations += 1
                rid = key[3] if self.share_levels else -1
                d = _labelled(self._decide(req, scps, rcps, management_account, rid), labels)
                cache[key] = (d, labels)
                out.append(d)
            elif hit[1] == labels:
                out.append(hit[0])
            else:
                out.append(_labelled(hit[0], labels))
        return out

    def _decide(self, req: Request, scps: Chain | None, rcps: Chain | None,
                management: str | None, rid: int) -> Decision:
        notes: list[str] = []
        chains: list[Chain] = []
        for chain, exemption in ((scps, scp_exemption), (rcps, rcp_exemption)):
            if chain is None:
                continue
            why = exemption(req, management)
            if why:
                notes.append(why)
            else:
                chains.append(chain)
        if not chains and notes:
            return Decision("allow", "exempt", notes=tuple(notes))
        deny: Hit | None = None
        missing = None
        allows: tuple[Hit, ...] = ()
        for c in chains:  # an explicit Deny anywhere wins, then the first missing Allow
            if not c.levels:
                continue
            d, m, a = (self._state(c, len(c.levels) - 1, req, rid) if rid >= 0
                       else self._walk(c, req))
            deny = deny or d
            if deny is not None:
                break  # nothing after an explicit Deny changes the decision
            missing = missing or m
            allows += a
        if deny is not None:
            return Decision("deny", "explicit-deny", deny=deny, notes=tuple(notes))
        if missing is not None:
            return Decision("deny", "implicit-deny", missing=missing, notes=tuple(notes))
        return Decision("allow", "allow", allows=allows, notes=tuple(notes))

    def _state(self, c: Chain, depth: int, req: Request, rid: int) -> State:
        """First Deny, first level without an Allow, and the Allows, of the chain's levels
        from Root to ``depth``; cached per (prefix, request), so an account's chain
        reuses its OU's and only adds its own level."""
        key = (self._prefix_ids(c)[depth], rid)
        got = self._states.get(key)
        if got is not None:
            return got
        p_deny, missing, allows = (self._state(c, depth - 1, req, rid) if depth
                                   else (None, None, ()))
        deny_hit, allow_hit = self._level(c, depth, req, rid)
        if missing is None and allow_hit is None:
            missing = _missing(c, depth)
        got = self._states[key] = (p_deny or deny_hit, missing,
                                   allows if allow_hit is None else (*allows, allow_hit))
        return got

    def _walk(self, c: Chain, req: Request) -> State:
        """``_state`` of the whole chain without a cache (a chain decided once), from Root
        down, stopping at the first explicit Deny: nothing after it changes the
        decision, which names only that Deny."""
        missing = None
        allows: list[Hit] = []
        for depth in range(len(c.levels)):
            deny_hit, allow_hit = self._level(c, depth, req, -1)
            if deny_hit is not None:
                return deny_hit, missing, ()
            if allow_hit is not None:
                allows.append(allow_hit)
            elif missing is None:
                missing = _missing(c, depth)
        return None, missing, tuple(allows)

    def _level(self, c: Chain, depth: int, req: Request,
               rid: int) -> tuple[Hit | None, Hit | None]:
        """The first explicit Deny of one level, else its first Allow (the level's
        policies in order; a Deny ends the level)."""
        level = c.levels[depth]
        allow_hit = None
        for policy in level.policies:
            deny, allow = (_policy_result(policy, req) if rid < 0
                           else self._result(policy, req, rid))
            if deny is not None:
                return Hit(c.kind, level.label, policy.name, deny.index, deny.sid, depth), None
            if allow is not None and allow_hit is None:
                allow_hit = Hit(c.kind, level.label, policy.name, allow.index, allow.sid, depth)
        return None, allow_hit


def _missing(c: Chain, depth: int) -> tuple[str, str, tuple[str, ...], int]:
    """The level without an Allow, as ``Decision.missing`` names it."""
    level = c.levels[depth]
    return (c.kind, level.label, tuple(p.name for p in level.policies), depth)


def _labelled(d: Decision, labels: Mapping[str, tuple[str, ...]]) -> Decision:
    """``d`` naming the levels of the chains ``labels`` describes (a no-op when it does)."""
    hits = (*d.allows, d.deny) if d.deny else d.allows
    if any(h.kind in labels and labels[h.kind][h.depth] != h.level for h in hits) or (
            d.missing and d.missing[0] in labels
            and labels[d.missing[0]][d.missing[3]] != d.missing[1]):
        return d.relabel(labels)
    return d


def chain(kind: str, levels: Iterable[tuple[str, Iterable[Policy]]]) -> Chain:
    return Chain(kind, tuple(Level(label, tuple(ps)) for label, ps in levels))
