"""SCP and RCP evaluation as one formula: "this request is denied".

``aigov.policy.evaluate.Evaluator._decide`` read as logic (AWS Organizations User
Guide, "SCP evaluation", "RCP evaluation"):

- a statement applies when its Action/NotAction covers the action (decided per action
  class, in Python), its Resource/NotResource matches and all its conditions hold;
- a chain denies when any level has an applying Deny, or some level has no applying
  Allow; a chain without levels restricts nothing;
- SCPs do not restrict the management account's principals nor service-linked roles
  (``:role/aws-service-role/`` in the principal); RCPs do not restrict the management
  account's resources nor services RCPs do not support (the action class knows);
- a request is denied when a chain that applies to it denies.

Formulas are built once per statement and per (policy, action class), so a policy shared
by many levels and accounts costs one encoding.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cvc5.pythonic as smt

from aigov.policy.evaluate import SERVICE_LINKED_MARK, Chain
from aigov.policy.parse import Policy, Statement
from aigov.policy.prove import tokens as tk
from aigov.policy.prove.actions import ActionClass
from aigov.policy.prove.conditions import encode_condition
from aigov.policy.prove.request import Symbolic, variables_on
from aigov.policy.prove.strings import match, pattern_matches

TRUE, FALSE = smt.BoolVal(True), smt.BoolVal(False)


def any_of(xs: Sequence[smt.BoolRef]) -> smt.BoolRef:
    """Or, folding constants (keeps formulas small when FullAWSAccess is everywhere)."""
    kept = [x for x in xs if not smt.is_false(x)]
    if any(smt.is_true(x) for x in kept):
        return TRUE
    return FALSE if not kept else kept[0] if len(kept) == 1 else smt.Or(*kept)


def all_of(xs: Sequence[smt.BoolRef]) -> smt.BoolRef:
    kept = [x for x in xs if not smt.is_true(x)]
    if any(smt.is_false(x) for x in kept):
        return FALSE
    return TRUE if not kept else kept[0] if len(kept) == 1 else smt.And(*kept)


def not_(x: smt.BoolRef) -> smt.BoolRef:
    return FALSE if smt.is_true(x) else TRUE if smt.is_false(x) else smt.Not(x)


@dataclass(frozen=True)
class Group:
    """Targets that share one proof: the same SCP and RCP chains (by policy), so the
    same decisions; ``accounts`` are the ids ``${account}`` takes for them."""

    label: str
    scps: Chain | None
    rcps: Chain | None
    accounts: tuple[str, ...]
    management: str | None = None
    targets: tuple[str, ...] = ()
    members: tuple[Group, ...] = ()  # the groups merged into this one (``merge_groups``)


class Encoder:
    """Builds the denial formula of groups of chains over one symbolic request."""

    def __init__(self, req: Symbolic) -> None:
        self.req = req
        self._applies: dict[int, smt.BoolRef] = {}
        self._policy: dict[tuple[int, int], tuple[smt.BoolRef, smt.BoolRef]] = {}
        self._chain: dict[tuple[int, int], smt.BoolRef] = {}

    def applies(self, s: Statement, variables: bool) -> smt.BoolRef:
        """Resource/NotResource and conditions of one statement."""
        got = self._applies.get(id(s))
        if got is None:
            req = self.req
            single = req.single if variables else None
            if s.resources.star:
                res = TRUE
            else:
                res = any_of([pattern_matches(p, req.resource, single)
                              for p in s.resources.patterns])
            if s.not_resource:
                res = not_(res)
            got = all_of([res, *[encode_condition(c, req, variables) for c in s.conditions]])
            self._applies[id(s)] = got
        return got

    def policy(self, p: Policy, cls: ActionClass) -> tuple[smt.BoolRef, smt.BoolRef]:
        """(some Deny applies, some Allow applies) for one policy and action class."""
        key = (id(p), cls.index)
        got = self._policy.get(key)
        if got is None:
            variables = variables_on(p)
            deny, allow = [], []
            for s in p.statements:
                if id(s) in cls.statements:
                    (deny if s.effect == "Deny" else allow).append(self.applies(s, variables))
            got = self._policy[key] = (any_of(deny), any_of(allow))
        return got

    def chain_denies(self, c: Chain, cls: ActionClass) -> smt.BoolRef:
        key = (id(c), cls.index)
        got = self._chain.get(key)
        if got is None:
            parts = []
            for level in c.levels:
                results = [self.policy(p, cls) for p in level.policies]
                parts.append(any_of([d for d, _ in results]))
                parts.append(not_(any_of([a for _, a in results])))
            got = self._chain[key] = any_of(parts)
        return got

    def denied(self, g: Group, cls: ActionClass) -> smt.BoolRef:
        """``Evaluator._decide(...).decision == "deny"`` for the group's chains."""
        req = self.req
        parts = []
        if g.scps is not None and g.scps.levels:
            exempt = [match(req.principal, (tk.glob("*") + tk.literal(SERVICE_LINKED_MARK)
                                            + tk.glob("*"),))]
            if g.management:
                exempt.append(req.principal_account_is((tk.literal(g.management),)))
            parts.append(all_of([not_(any_of(exempt)), self.chain_denies(g.scps, cls)]))
        if g.rcps is not None and g.rcps.levels and cls.rcp:
            exempt = [match(req.account, (tk.literal(g.management),))] if g.management else []
            parts.append(all_of([not_(any_of(exempt)), self.chain_denies(g.rcps, cls)]))
        return any_of(parts)


def chain_policies(groups: Sequence[Group]) -> list[Policy]:
    """Every distinct policy of the groups' chains, in order."""
    seen: dict[int, Policy] = {}
    for g in groups:
        for c in (g.scps, g.rcps):
            for level in (c.levels if c is not None else ()):
                for p in level.policies:
                    seen.setdefault(id(p), p)
    return list(seen.values())


def _level_key(enc: Encoder, policies: Sequence[Policy], cls: ActionClass) -> object:
    """What a level says about one action class: the policies whose Deny may apply, and
    whether an Allow always applies (else the policies whose Allow may); ``None`` for a
    level that can neither deny nor fail to allow (FullAWSAccess and unrelated denies)."""
    results = [(id(p), *enc.policy(p, cls)) for p in policies]
    denies = frozenset(i for i, d, _ in results if not smt.is_false(d))
    allow_true = any(smt.is_true(a) for _, _, a in results)
    if not denies and allow_true:
        return None
    allows = "all" if allow_true else frozenset(i for i, _, a in results if not smt.is_false(a))
    return denies, allows


def _chain_key(enc: Encoder, c: Chain | None, cls: ActionClass) -> object:
    if c is None or not c.levels:
        return None
    keys = (_level_key(enc, lv.policies, cls) for lv in c.levels)
    return frozenset(k for k in keys if k is not None)


def merge_groups(enc: Encoder, groups: Sequence[Group],
                 classes: Sequence[ActionClass]) -> list[Group]:
    """Groups whose chains decide every action class of the property alike are one:
    a policy that cannot apply to the property's actions (a Deny of other services) no
    longer tells two accounts apart, so 1,000 accounts with their own policies can still
    be a handful of proofs."""
    merged: dict[tuple, list[Group]] = {}
    for g in groups:
        rcp_key = tuple(_chain_key(enc, g.rcps, c) if c.rcp else None for c in classes)
        key = (g.management, g.scps is None, g.rcps is None, rcp_key,
               tuple(_chain_key(enc, g.scps, c) for c in classes))
        merged.setdefault(key, []).append(g)
    out = []
    for members in merged.values():
        first = members[0]
        if len(members) == 1:
            out.append(first)
            continue
        out.append(Group(first.label, first.scps, first.rcps,
                         tuple(dict.fromkeys(a for m in members for a in m.accounts)),
                         first.management,
                         tuple(dict.fromkeys(t for m in members for t in m.targets)),
                         tuple(members)))
    return out
