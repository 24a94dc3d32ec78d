"""Wildcard patterns as SMT regular expressions, with the evaluator's exact rules.

Two pattern languages meet here:

- a property's globs (docs/contracts/properties.md): ``*`` any run of characters, ``:``
  and ``/`` included, ``?`` one character, case-sensitive;
- the evaluator's ``aigov.policy.match.Pattern``: the same wildcards, except that in an
  ARN pattern a wildcard inside the first five colon-separated parts stays inside its
  part (IAM JSON policy element reference, "Resource": "each part of the ARN is matched
  separately"), ``*IgnoreCase`` operators fold case, and policy variables take the value
  of a single-valued context key (or their default when the key is absent).

Every rule below is read off ``match.py`` (``_regex_of``, ``Pattern.resolve``,
``Pattern.matches``), so a proof speaks about the same matches the simulator makes.
Case folding covers every character whose ``str.lower()`` is one character (the
evaluator lowers both sides or uses ``re.IGNORECASE``); a character that lowers to two
(``"İ"``) is the one case it cannot see, and the counterexample check would catch a
wrong refutation, not a wrong proof: docs/contracts/properties.md lists it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import cache

import cvc5.pythonic as smt

from aigov.policy.match import Pattern, Variable


class Unsupported(Exception):
    """A construct the encoding cannot express exactly; the property is ``unknown``."""


def any_char() -> smt.ReRef:
    return smt.AllChar()


def any_run() -> smt.ReRef:
    return smt.Star(any_char())


def not_colon() -> smt.ReRef:
    return smt.Intersect(any_char(), smt.Complement(smt.Re(":")))


@cache
def _folds() -> dict[str, tuple[str, ...]]:
    """Lower-case character -> every character whose ``lower()`` is it (one scan, on the
    first ``IgnoreCase`` pattern of a process)."""
    out: dict[str, list[str]] = {}
    for cp in range(0x30000):
        ch = chr(cp)
        low = ch.lower()
        if len(low) == 1 and low != ch:
            out.setdefault(low, [low]).append(ch)
    return {k: tuple(v) for k, v in out.items()}


def char_re(ch: str, ignore_case: bool) -> smt.ReRef:
    """One literal character, folded when ``ignore_case``."""
    if not ignore_case:
        return smt.Re(ch)
    low = ch.lower() if len(ch.lower()) == 1 else ch
    alts = _folds().get(low, (low,))
    if ch not in alts:
        alts = (*alts, ch)
    return smt.Union(*[smt.Re(a) for a in alts]) if len(alts) > 1 else smt.Re(alts[0])


def literal_re(text: str, ignore_case: bool = False) -> smt.ReRef:
    if not ignore_case:
        return smt.Re(text)
    if not text:
        return smt.Re("")
    parts = [char_re(c, True) for c in text]
    return parts[0] if len(parts) == 1 else smt.Concat(*parts)


def _concat(parts: Sequence[smt.ReRef]) -> smt.ReRef:
    if not parts:
        return smt.Re("")
    return parts[0] if len(parts) == 1 else smt.Concat(*parts)


def glob_re(glob: str) -> smt.ReRef:
    """A property glob: ``*`` any run (``:`` and ``/`` included), ``?`` one character."""
    parts: list[smt.ReRef] = []
    run = ""
    for ch in glob:
        if ch in "*?":
            if run:
                parts.append(smt.Re(run))
                run = ""
            parts.append(any_run() if ch == "*" else any_char())
        else:
            run += ch
    if run:
        parts.append(smt.Re(run))
    return _concat(parts)


@cache
def glob_regex(glob: str) -> re.Pattern[str]:
    """The same glob for Python (checking a counterexample against its property)."""
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c)
                              for c in glob), re.DOTALL)


def _regex_parts(parts: Sequence[tuple[str, bool]], *, arn: bool, ignore_case: bool,
                 colons: int = 0) -> tuple[list[smt.ReRef], int]:
    """``match._regex_of`` as SMT regexes; returns the pieces and the colons counted."""
    out: list[smt.ReRef] = []
    run = ""
    for text, wild in parts:
        for ch in text:
            in_head = arn and colons < 5
            if wild and ch in "*?":
                if run:
                    out.append(literal_re(run, ignore_case))
                    run = ""
                one = not_colon() if in_head else any_char()
                out.append(smt.Star(one) if ch == "*" else one)
            else:
                run += ch
            if ch == ":":
                colons += 1
    if run:
        out.append(literal_re(run, ignore_case))
    return out, colons


ValueOf = Callable[[str], tuple[smt.BoolRef, smt.StringRef, smt.BoolRef]]
"""A context key (lower case) -> (single, value, absent): whether it has exactly one
value, that value, and whether it has none; ``request.Symbolic.single`` implements it."""


def pattern_matches(p: Pattern, value: smt.StringRef, single: ValueOf | None) -> smt.BoolRef:
    """``p.matches(value, ctx)`` as a formula over the symbolic request."""
    if p.exact is not None:
        if p.ignore_case:
            return smt.InRe(value, literal_re(p.exact, True))
        return value == smt.StringVal(p.exact)
    if p.regex is not None:
        pieces, _ = _regex_parts([(t, w) for t, w in zip(p.tokens, p.wild, strict=True)
                                  if isinstance(t, str)], arn=p.arn, ignore_case=p.ignore_case)
        return smt.InRe(value, _concat(pieces))
    return _variable_pattern(p, value, single)


def _variable_pattern(p: Pattern, value: smt.StringRef, single: ValueOf | None) -> smt.BoolRef:
    """A pattern with policy variables: unresolved matches nothing (``resolve`` is None)."""
    if single is None:
        raise Unsupported("policy variables outside a policy of Version 2012-10-17")
    if p.ignore_case:
        raise Unsupported(f"policy variable in a case-insensitive pattern {p.text!r}")
    resolved: list[smt.BoolRef] = []
    pieces: list[smt.ReRef] = []
    colons = 0
    seen_variable = False
    for tok, wild in zip(p.tokens, p.wild, strict=True):
        if isinstance(tok, Variable):
            ok, val = _variable_value(tok, single)
            resolved.append(ok)
            pieces.append(smt.Re(val))
            seen_variable = True
            continue
        wild = wild and p.wildcards
        if (seen_variable and p.arn and wild and colons < 5
                and any(c in "*?" for c in tok)):
            raise Unsupported(f"a wildcard after a policy variable inside an ARN's first five "
                              f"parts ({p.text!r}): its scope depends on the variable's colons")
        more, colons = _regex_parts([(tok, wild)], arn=p.arn, ignore_case=False, colons=colons)
        pieces.extend(more)
    return smt.And(*resolved, smt.InRe(value, _concat(pieces)))


def _variable_value(var: Variable, single: ValueOf) -> tuple[smt.BoolRef, smt.StringRef]:
    """``Pattern.resolve`` for one variable: the key's single value, else its default
    when the key is absent, else unresolved."""
    ok, val, absent = single(var.key)
    if var.default is None:
        return ok, val
    return smt.Or(ok, absent), smt.If(ok, val, smt.StringVal(var.default))
