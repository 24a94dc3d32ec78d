"""Patterns as token sequences: one form for the SMT regexes and the automata.

Every pattern the prover tests (the evaluator's ``match.Pattern`` without variables, a
property glob, the principal's account part) is a sequence of tokens, each one
character of a class or any run of it; a class is a finite set of characters or all
characters but a finite set. ``to_smt`` turns a pattern into a solver regex and
``automata.py`` runs the same tokens as automata, so both read one translation of the
evaluator's rules (``match._regex_of``).
"""

from __future__ import annotations

from functools import cache

import cvc5.pythonic as smt

CharSet = tuple[bool, frozenset[str]]  # (negated, chars): all but chars when negated
Token = tuple[bool, CharSet]  # (a run of the class, the class)
Seq = tuple[Token, ...]
Alts = tuple[Seq, ...]  # alternatives: the pattern matches when one does

ANY: CharSet = (True, frozenset())
NOT_COLON: CharSet = (True, frozenset(":"))
DIGIT: CharSet = (False, frozenset("0123456789"))


@cache
def _folds() -> dict[str, tuple[str, ...]]:
    """Lower-case character -> every character whose ``lower()`` is it."""
    out: dict[str, list[str]] = {}
    for cp in range(0x30000):
        ch = chr(cp)
        low = ch.lower()
        if len(low) == 1 and low != ch:
            out.setdefault(low, [low]).append(ch)
    return {k: tuple(v) for k, v in out.items()}


def char(ch: str, ignore_case: bool = False) -> CharSet:
    if not ignore_case:
        return (False, frozenset(ch))
    low = ch.lower() if len(ch.lower()) == 1 else ch
    return (False, frozenset((*_folds().get(low, (low,)), ch)))


def literal(text: str, ignore_case: bool = False) -> Seq:
    return tuple((False, char(c, ignore_case)) for c in text)


def glob(text: str) -> Seq:
    """A property glob: ``*`` any run (``:`` and ``/`` too), ``?`` one character."""
    return tuple((True, ANY) if c == "*" else (False, ANY) if c == "?" else (False, char(c))
                 for c in text)


def evaluator_seq(parts: list[tuple[str, bool]], *, arn: bool, ignore_case: bool,
                  colons: int = 0) -> tuple[Seq, int]:
    """``match._regex_of``: in an ARN, a wildcard within the first five colon-separated
    parts stays inside its part; returns the tokens and the colons counted."""
    out: list[Token] = []
    for text, wild in parts:
        for ch in text:
            in_head = arn and colons < 5
            if wild and ch in "*?":
                out.append((ch == "*", NOT_COLON if in_head else ANY))
            else:
                out.append((False, char(ch, ignore_case)))
            if ch == ":":
                colons += 1
    return tuple(out), colons


def contains(cs: CharSet, ch: str) -> bool:
    negated, chars = cs
    return (ch not in chars) if negated else (ch in chars)


def without_colon(seq: Seq) -> Seq | None:
    """The tokens matching only colon-free strings (``None``: only the empty-free
    impossible, a literal ``:``)."""
    out: list[Token] = []
    for star, (negated, chars) in seq:
        if negated:
            out.append((star, (True, chars | {":"})))
        else:
            kept = chars - {":"}
            if not kept:
                if star:
                    continue  # a run of ':' can only be empty here
                return None
            out.append((star, (False, frozenset(kept))))
    return tuple(out)


def account_part(alts: Alts) -> Alts:
    """Principals whose fifth colon-separated part (``evaluate.account_of``) is in
    ``alts``: four parts, the account, a colon, anything."""
    head: Seq = ((True, NOT_COLON), (False, char(":"))) * 4
    tail: Seq = ((False, char(":")), (True, ANY))
    out = []
    for seq in alts:
        part = without_colon(seq)
        if part is not None:
            out.append(head + part + tail)
    return tuple(out)


def _class_re(cs: CharSet) -> smt.ReRef:
    negated, chars = cs
    if not negated:
        items = sorted(chars)
        return smt.Union(*[smt.Re(c) for c in items]) if len(items) > 1 else smt.Re(items[0])
    if not chars:
        return smt.AllChar()
    return smt.Intersect(smt.AllChar(), smt.Complement(
        smt.Union(*[smt.Re(c) for c in sorted(chars)]) if len(chars) > 1
        else smt.Re(next(iter(chars)))))


def seq_re(seq: Seq) -> smt.ReRef:
    parts: list[smt.ReRef] = []
    run = ""
    for star, cs in seq:
        single = not star and not cs[0] and len(cs[1]) == 1
        if single:
            run += next(iter(cs[1]))
            continue
        if run:
            parts.append(smt.Re(run))
            run = ""
        parts.append(smt.Star(_class_re(cs)) if star else _class_re(cs))
    if run:
        parts.append(smt.Re(run))
    if not parts:
        return smt.Re("")
    return parts[0] if len(parts) == 1 else smt.Concat(*parts)


def to_smt(alts: Alts) -> smt.ReRef | None:
    """The solver regex of a pattern; ``None`` for one that matches nothing."""
    if not alts:
        return None
    res = [seq_re(s) for s in alts]
    return res[0] if len(res) == 1 else smt.Union(*res)
