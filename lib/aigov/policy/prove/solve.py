"""Decide a property over groups of chains with z3, and confirm every counterexample.

Solver choice: cvc5 (``cvc5`` on PyPI and conda-forge), by measurement. On this
project's queries (a principal glob, the service-linked-role mark and ARN patterns on the
same string under Boolean structure) z3 4.15 and 5.4 (``z3-solver``) ran into their
10 s timeout on a query of two regular-membership constraints on one string, which cvc5
1.4 decides in 10-25 ms; on a single membership both took 14-18 ms. cvc5's pythonic API
mirrors z3's, so the encoding reads like the z3 examples it is usually written from.
Neither decides "matches this glob and not that one" well when both have wildcards, so
strings that only regular patterns touch are decided by automata (``automata.py``) and
reach the solver as a choice of class.

One solver query covers every group: the solver picks a group, an action class and a
request; a model is a counterexample for that group, confirmed with the evaluator
(``Evaluator.decide``, the same code as ``aigov simulate --batch``) and checked against
the property's own globs and constraints; then that group is excluded and the query is
asked again, until no group is left with one. A counterexample the evaluator does not
confirm is an ``EncodingBug``: never shown as a result.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import cvc5.pythonic as smt

from aigov.policy.evaluate import Decision, Evaluator, make_request
from aigov.policy.prove import tokens as tk
from aigov.policy.prove.actions import catalogue, classify, globs_bits
from aigov.policy.prove.encode import (
    Encoder,
    Group,
    all_of,
    any_of,
    chain_policies,
    merge_groups,
    not_,
)
from aigov.policy.prove.properties import Property
from aigov.policy.prove.request import Symbolic, analyse, glob_regex
from aigov.policy.prove.strings import Text, Unsupported, match

DEFAULT_TIMEOUT_MS = 30_000
PRINTABLE = smt.Star(smt.Range("!", "~"))
ACCOUNT_ID = re.compile(r"[0-9]{12}")
MAX_MOVES = 20


class EncodingBug(Exception):
    """The solver's counterexample and the evaluator disagree: a bug in the encoding."""


@dataclass
class Outcome:
    """The answer for one group: proven, refuted (with a confirmed counterexample and
    the evaluator's decision) or unknown (with the reason)."""

    group: Group
    result: str
    counterexample: dict[str, Any] | None = None
    decision: Decision | None = None
    reason: str = ""
    seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)


def _principal_alts(glob: str, accounts: Sequence[tk.Seq]) -> tk.Alts:
    """The principal glob, ``${account}`` standing for each of ``accounts`` (the same
    one at every place it occurs)."""
    pieces = [tk.glob(p) for p in glob.split("${account}")]
    out = []
    for acct in accounts if len(pieces) > 1 else [()]:
        seq: tk.Seq = pieces[0]
        for piece in pieces[1:]:
            seq = seq + acct + piece
        out.append(seq)
    return tuple(out)


def _any_id_but(management: str | None) -> list[tk.Seq]:
    """Any 12-digit id, except ``management``: one alternative per place of the first
    digit that differs from it (exclusive alternatives keep the automata small)."""
    digit = (False, tk.DIGIT)
    if not management or not ACCOUNT_ID.fullmatch(management):
        return [(digit,) * 12]
    out = []
    for i, d in enumerate(management):
        other = (False, (False, tk.DIGIT[1] - {d}))
        out.append(tk.literal(management[:i]) + (other,) + (digit,) * (11 - i))
    return out


class Prover:
    """One property over groups: build once, then ask until every group is decided."""

    def __init__(self, prop: Property, groups: Sequence[Group], *, batch: bool,
                 timeout_ms: int = DEFAULT_TIMEOUT_MS) -> None:
        self.prop, self.groups, self.batch = prop, list(groups), batch
        self.timeout_ms = timeout_ms
        domain = globs_bits(prop.actions)
        policies = chain_policies(self.groups)
        self.classes = classify(domain, [s for p in policies for s in p.statements])
        self.req = Symbolic(analyse(policies, dict(prop.context)), dict(prop.context))
        self.names = dict(prop.names)
        for p in policies:
            for s in p.statements:
                for c in s.conditions:
                    self.names.setdefault(c.key_lower, c.key)
        self.cls = smt.Int("action_class")
        self.grp = smt.Int("group")
        self.solver = smt.Solver()
        self.solver.set("tlimit-per", timeout_ms)
        self._build()

    def _build(self) -> None:
        req, prop, s = self.req, self.prop, self.solver
        enc = Encoder(req)
        s.add(match(req.resource, tuple(tk.glob(r) for r in prop.resources)))
        for key, c in prop.context.items():
            s.add(req.constrain(key, c))
        s.add(self.cls >= 0, self.cls < len(self.classes), self.grp >= 0)
        self.groups = merge_groups(enc, self.groups, self.classes)
        s.add(self.grp < len(self.groups))
        cases = []
        self.superset: set[int] = set()
        for gi, g in enumerate(self.groups):
            accounts = self._accounts(gi, g)
            per_class = []
            for c in self.classes:
                denied = enc.denied(g, c)
                goal = denied if prop.expect == "never-denied" else not_(denied)
                per_class.append(all_of([self.cls == c.index, goal]))
            cases.append(all_of([self.grp == gi, any_of(accounts), any_of(per_class)]))
        s.add(any_of(cases))
        s.add(*req.finish())  # last: the pattern tests' definitions

    def _accounts(self, gi: int, g: Group) -> list[smt.BoolRef]:
        """``${account}`` over the group's account ids, in the principal and as the
        resource's account. Many ids (12 digits each) are asked as "any 12-digit id but
        the management account's" (a superset, so proven stays proven, and far easier
        than a thousand-way choice); a counterexample is then moved onto one of the
        group's own ids and confirmed there (``_own_account``)."""
        req = self.req
        if len(g.accounts) <= 1 or not all(ACCOUNT_ID.fullmatch(a) for a in g.accounts):
            ids = any_of([match(req.account, (tk.literal(a),)) for a in g.accounts])
            seqs = [tk.literal(a) for a in g.accounts]
        else:
            self.superset.add(gi)
            exclude = g.management if g.management not in g.accounts else None
            seqs = _any_id_but(exclude)
            ids = match(req.account, tuple(seqs))
        principal = match(req.principal, _principal_alts(self.prop.principal, seqs))
        return [smt.And(principal, ids)]

    def _own_account(self, gi: int, snap: dict[str, Any]) -> dict[str, Any] | None:
        """The counterexample moved onto one of the group's ids, when the solver picked
        another (superset) id; ``None`` when none of them is a counterexample."""
        g = self.groups[gi]
        if gi not in self.superset:
            return snap
        wanted = "deny" if self.prop.expect == "never-denied" else "allow"
        pieces = [glob_regex(x).pattern for x in self.prop.principal.split("${account}")]
        m = re.fullmatch("([0-9]{12})".join(f"({x})" for x in pieces), snap["principal"],
                         re.DOTALL)
        for a in g.accounts:
            principal = snap["principal"]
            if m is not None:  # the id's places in the principal, as the glob put them
                spans = [m.span(i) for i in range(2, m.re.groups + 1, 2)]
                for lo, hi in reversed(spans):
                    principal = principal[:lo] + a + principal[hi:]
            moved = {**snap, "account": a, "principal": principal}
            request = self._request(moved)
            if not self._outside(request, g) and self._evaluate(g, request).decision == wanted:
                return moved
        return None

    def strings(self) -> list[smt.StringRef]:
        """The strings the solver picks itself (the others come from automaton classes)."""
        out = [t.smt_string for t in self.req.texts()]
        return [s for s in out if s is not None]

    def run(self) -> list[Outcome]:
        """Every group's outcome (proven unless the solver finds it a counterexample)."""
        import time

        decided: dict[int, Outcome] = {}
        tries: dict[int, int] = {}
        tainted: set[int] = set()  # groups with a principal left out: never "proven"
        while True:
            t0 = time.perf_counter()
            answer = self.solver.check()
            spent = time.perf_counter() - t0
            if answer == smt.unsat:
                break
            if answer == smt.unknown:
                why = str(self.solver.reason_unknown()).rsplit(".", 1)[-1].lower()
                for gi, g in enumerate(self.groups):
                    decided.setdefault(gi, Outcome(g, "unknown", reason=f"solver: {why}",
                                                   seconds=spent))
                break
            snap = self._nicer_snapshot()
            gi = snap["group"]
            own = self._own_account(gi, snap)
            if own is None:  # only another id breaks it: ask again without that id
                tries[gi] = tries.get(gi, 0) + 1
                if tries[gi] >= MAX_MOVES:
                    decided[gi] = Outcome(self.groups[gi], "unknown", reason=(
                        "counterexamples found only for account ids outside the target"))
                    self.solver.add(self.grp != gi)
                else:
                    self.solver.add(smt.Not(smt.And(self.grp == gi, self.req.principal.same(
                        snap["principal"]))))
                    tainted.add(gi)
                continue
            out = self._confirm(gi, own)
            out.seconds = spent
            decided[gi] = out
            self.solver.add(self.grp != gi)
        for gi in tainted:
            decided.setdefault(gi, Outcome(self.groups[gi], "unknown", reason=(
                "counterexamples found only for account ids outside the target")))
        return [decided.get(gi) or Outcome(g, "proven") for gi, g in enumerate(self.groups)]

    def _snapshot(self) -> dict[str, Any]:
        """The current model as plain values (a cvc5 model is gone after the next call)."""
        model = self.solver.model()

        def val(v: Any) -> Any:
            if isinstance(v, Text):
                if v.witnesses is not None:
                    return v.witnesses[val(v.cls)]
                v = v.var
            got = model.eval(v, model_completion=True)
            return got.as_string() if isinstance(got, smt.StringRef) else got.as_long()
        req = self.req
        snap: dict[str, Any] = {"group": val(self.grp), "class": val(self.cls),
                                "resource": val(req.resource), "principal": val(req.principal),
                                "account": val(req.account), "context": {}}
        for name, k in req.keys.items():
            n = val(k.count)
            if n <= 0:
                continue
            if k.cands is not None:
                vals = [k.cands[val(p)] for p in k.picks[:n]]
            else:
                vals = [val(v) for v in k.values[:n]]
            snap["context"][self.names.get(name, name)] = vals[0] if n == 1 else vals
        return snap

    def _nicer_snapshot(self) -> dict[str, Any]:
        """A model with printable ASCII strings when one exists (easier to read and to
        paste into ``aigov simulate``); else the solver's own."""
        snap = self._snapshot()
        self.solver.push()
        self.solver.add(*[smt.InRe(v, PRINTABLE) for v in self.strings()])
        if self.solver.check() == smt.sat:
            snap = self._snapshot()
        self.solver.pop()
        return snap

    def _request(self, snap: dict[str, Any]) -> dict[str, Any]:
        """The counterexample in ``simulate --batch``'s request shape."""
        request: dict[str, Any] = {"action": self.classes[snap["class"]].action,
                                   "resource": snap["resource"]}
        if snap["context"]:
            request["context"] = snap["context"]
        request["principal"] = snap["principal"]
        if not self.batch:
            request["account"] = snap["account"]
        return request

    def _confirm(self, gi: int, snap: dict[str, Any]) -> Outcome:
        g = self.groups[gi]
        cls = self.classes[snap["class"]]
        request = self._request(snap)
        decision = self._evaluate(g, request)
        wanted = "deny" if self.prop.expect == "never-denied" else "allow"
        problems = self._outside(request, g)
        if decision.decision != wanted or problems:
            raise EncodingBug(
                f"the solver's counterexample for {self.prop.name or 'the property'} "
                f"({g.label}) is not one: the evaluator says {decision.decision} "
                f"({decision.reason}){'; ' + problems if problems else ''}; request: {request}")
        return Outcome(g, "refuted", request, decision,
                       extra={"action_class_size": cls.size})

    def _evaluate(self, g: Group, request: dict[str, Any]) -> Decision:
        """The evaluator's decision, under the chains of the very group (of those merged)
        that the counterexample's account belongs to."""
        account = request.get("account")
        g = next((m for m in g.members if account in m.accounts), g)
        r = make_request(request["action"], request["resource"], request.get("context"),
                         request["principal"], request.get("account"))
        return Evaluator(cache=False).decide(r, g.scps, g.rcps, management_account=g.management)

    def _outside(self, request: dict[str, Any], g: Group) -> str:
        """Why the request is not one the property speaks about ('' when it is)."""
        p = self.prop
        if not request["resource"] or not request["principal"]:
            return "an empty resource or principal"
        if not any(glob_regex(r).fullmatch(request["resource"]) for r in p.resources):
            return "resource outside the property's globs"
        account = request.get("account", "")
        globs = ([p.principal.replace("${account}", a) for a in g.accounts]
                 if "${account}" in p.principal else [p.principal])
        if not any(glob_regex(x).fullmatch(request["principal"]) for x in globs):
            return "principal outside the property's glob"
        if account and g.accounts and account not in g.accounts:
            return "account not one of the target's"
        names, index, _ = catalogue()
        if not globs_bits(p.actions) >> index[request["action"].lower()] & 1:
            return "action outside the property's globs"
        ctx = {k.lower(): ([v] if isinstance(v, str) else v)
               for k, v in (request.get("context") or {}).items()}
        for key, c in p.context.items():
            vals = ctx.get(key, [])
            if key in ("aws:principalarn", "aws:principalaccount"):
                continue
            if c.kind == "absent" and vals:
                return f"context key {key} should be absent"
            if c.kind != "absent" and (not vals or not all(c.holds(v) for v in vals)):
                return f"context key {key} breaks its constraint"
        return ""


def prove(prop: Property, groups: Sequence[Group], *, batch: bool = False,
          timeout_ms: int = DEFAULT_TIMEOUT_MS) -> list[Outcome]:
    """Every group's outcome for ``prop``; an unsupported construct makes them unknown."""
    try:
        prover = Prover(prop, groups, batch=batch, timeout_ms=timeout_ms)
    except Unsupported as exc:
        return [Outcome(g, "unknown", reason=f"unsupported: {exc}") for g in groups]
    return prover.run()
