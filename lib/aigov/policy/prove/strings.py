"""Strings of the request and the pattern tests on them, with the evaluator's rules.

Two pattern languages meet here (both as ``tokens.py`` sequences):

- a property's globs (docs/contracts/properties.md): ``*`` any run of characters, ``:``
  and ``/`` included, ``?`` one character, case-sensitive;
- the evaluator's ``aigov.policy.match.Pattern``: the same wildcards, except that in an
  ARN pattern a wildcard inside the first five colon-separated parts stays inside its
  part (IAM JSON policy element reference, "Resource"), ``*IgnoreCase`` operators fold
  case, and policy variables take the value of a single-valued context key (or their
  default when the key is absent).

A ``Text`` is one string of the request (the resource, the principal, a context value).
Each pattern test on it is a Boolean placeholder; ``finish`` then defines them all at
once: by automaton classes (``automata.py``) when only regular patterns touch the
string, else as solver regex memberships on a string variable (policy variables need
the string itself). Case folding covers every character whose ``lower()`` is one
character; ``"İ"``, which lowers to two, is not modelled (docs/contracts/properties.md).
"""

from __future__ import annotations

from typing import Any

import cvc5.pythonic as smt

from aigov.policy.match import Pattern, Variable
from aigov.policy.prove import tokens as tk
from aigov.policy.prove.automata import TooLarge, classes

FALSE = smt.BoolVal(False)
_CLASSES: dict[tuple, Any] = {}


class Unsupported(Exception):
    """A construct the encoding cannot express exactly; the property is ``unknown``."""


class Text:
    """One string of the request, tested by patterns (see the module docstring)."""

    def __init__(self, name: str, *, nonempty: bool = False) -> None:
        self.name = name
        self.var = smt.String(name)
        self.cls = smt.Int(f"class[{name}]")
        self.tests: dict[tk.Alts, smt.BoolRef] = {}
        self.raw_needed = False
        self.witnesses: list[str] | None = None
        self.required: list[smt.BoolRef] = []
        if nonempty:
            self.required.append(self.test((((False, tk.ANY), (True, tk.ANY)),)))

    def test(self, alts: tk.Alts) -> smt.BoolRef:
        if not alts:
            return FALSE
        got = self.tests.get(alts)
        if got is None:
            got = self.tests[alts] = smt.Bool(f"t[{self.name}][{len(self.tests)}]")
        return got

    def raw(self) -> smt.StringRef:
        """The string itself (for policy variables): the tests become regex memberships."""
        self.raw_needed = True
        return self.var

    def finish(self) -> list[smt.BoolRef]:
        """The definitions of every test, and of the string's class."""
        pats = list(self.tests)
        facts: list[smt.BoolRef] = list(self.required)
        if not self.raw_needed:
            key = tuple(pats)
            got = _CLASSES.get(key)
            if got is None:
                try:
                    got = classes(pats)
                except TooLarge:
                    got = False
                if len(_CLASSES) > 256:
                    _CLASSES.clear()
                _CLASSES[key] = got
            if got:
                self.witnesses = [w for _, w in got]
                facts.append(smt.And(self.cls >= 0, self.cls < len(got)))
                for k, alts in enumerate(pats):
                    hits = [self.cls == i for i, (bits, _) in enumerate(got) if bits[k]]
                    facts.append(self.tests[alts] == (smt.Or(*hits) if hits else FALSE))
                return facts
        for alts in pats:
            r = tk.to_smt(alts)
            facts.append(self.tests[alts] == (smt.InRe(self.var, r) if r is not None
                                              else FALSE))
        return facts

    def same(self, value: str) -> smt.BoolRef:
        """This string is ``value`` (by class when finite: the same answers)."""
        if self.witnesses is not None:
            return self.cls == self.witnesses.index(value)
        return self.var == smt.StringVal(value)

    @property
    def smt_string(self) -> smt.StringRef | None:
        """The solver string to keep printable, when the solver picks the string."""
        return None if self.witnesses is not None else self.var


class AccountOf:
    """The principal's account (``evaluate.account_of``: its fifth part): tests on it are
    tests on the principal; its text (for a policy variable) is ``request.pacct``."""

    def __init__(self, owner: Any) -> None:  # a request.Symbolic
        self.owner = owner
        self.principal: Text = owner.principal


def match(value: Any, alts: tk.Alts) -> smt.BoolRef:
    """Does ``value`` (a ``Text``, an ``AccountOf`` or a solver string) match ``alts``?"""
    if isinstance(value, Text):
        return value.test(alts)
    if isinstance(value, AccountOf):
        return match(value.principal, tk.account_part(alts))
    r = tk.to_smt(alts)
    return FALSE if r is None else smt.InRe(value, r)


def pattern_alts(p: Pattern) -> tk.Alts:
    """A pattern without variables as tokens (``Pattern.matches``)."""
    if p.exact is not None:
        return (tk.literal(p.exact, p.ignore_case),)
    parts = [(t, w) for t, w in zip(p.tokens, p.wild, strict=True) if isinstance(t, str)]
    seq, _ = tk.evaluator_seq(parts, arn=p.arn, ignore_case=p.ignore_case)
    return (seq,)


def pattern_matches(p: Pattern, value: Any, single: Any) -> smt.BoolRef:
    """``p.matches(value, ctx)`` as a formula over the symbolic request."""
    if not p.has_variables:
        return match(value, pattern_alts(p))
    return _variable_pattern(p, value, single)


def _variable_pattern(p: Pattern, value: Any, single: Any) -> smt.BoolRef:
    """A pattern with policy variables: unresolved matches nothing (``resolve`` is None)."""
    if single is None:
        raise Unsupported("policy variables outside a policy of Version 2012-10-17")
    if p.ignore_case:
        raise Unsupported(f"policy variable in a case-insensitive pattern {p.text!r}")
    if isinstance(value, Text):
        value = value.raw()
    elif isinstance(value, AccountOf):
        value = value.owner.pacct
    resolved: list[smt.BoolRef] = []
    pieces: list[smt.ReRef] = []
    colons = 0
    seen_variable = False
    for tok, wild in zip(p.tokens, p.wild, strict=True):
        if isinstance(tok, Variable):
            ok, val, absent = single(tok.key)
            if tok.default is not None:
                ok, val = smt.Or(ok, absent), smt.If(ok, val, smt.StringVal(tok.default))
            resolved.append(ok)
            pieces.append(smt.Re(val))
            seen_variable = True
            continue
        wild = wild and p.wildcards
        if seen_variable and p.arn and wild and colons < 5 and any(c in "*?" for c in tok):
            raise Unsupported(f"a wildcard after a policy variable inside an ARN's first five "
                              f"parts ({p.text!r}): its scope depends on the variable's colons")
        seq, colons = tk.evaluator_seq([(tok, wild)], arn=p.arn, ignore_case=False,
                                       colons=colons)
        pieces.append(tk.seq_re(seq))
    regex = pieces[0] if len(pieces) == 1 else smt.Concat(*pieces)
    return smt.And(*resolved, smt.InRe(value, regex))
