"""Actions as a finite domain: the IAM catalogue, split into classes the policies cannot
tell apart.

A property's actions range over the catalogue actions its globs match (so a
counterexample is always a real action). What a request's action changes in a decision
is only which statements' Action/NotAction match it and whether RCPs apply to its
service, so actions with the same answers form one class and the solver picks a class,
not one of ~20,000 names: that is what keeps proofs fast. Sets of actions are Python
ints used as bitsets over the sorted catalogue; each pattern's set is computed once per
process.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache

from aigov.policy.checks.catalogue import actions, services
from aigov.policy.parse import Statement
from aigov.policy.services import rcp_supported_services


@cache
def catalogue() -> tuple[tuple[str, ...], dict[str, int], dict[str, tuple[int, int]]]:
    """Every ``service:Action`` (as AWS spells it), sorted by service; the index of each
    lower-case name; each service's index range."""
    names: list[str] = []
    ranges: dict[str, tuple[int, int]] = {}
    for prefix in sorted(services()):
        start = len(names)
        names += sorted(f"{prefix}:{rec['name']}" for rec in actions(prefix).values())
        ranges[prefix] = (start, len(names))
    return tuple(names), {n.lower(): i for i, n in enumerate(names)}, ranges


def _range_bits(lo: int, hi: int) -> int:
    return ((1 << (hi - lo)) - 1) << lo


def _glob_source(glob: str) -> str:
    return "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in glob)


@cache
def pattern_bits(pattern: str) -> int:
    """The catalogue actions one action pattern matches (case-insensitive, ``*`` and
    ``?`` as ``match.Pattern`` reads them)."""
    names, index, ranges = catalogue()
    low = pattern.lower()
    if low == "*":
        return _range_bits(0, len(names))
    if "*" not in low and "?" not in low:
        i = index.get(low)
        return 0 if i is None else 1 << i
    service, _, rest = low.partition(":")
    if "*" not in service and "?" not in service:
        if service not in ranges:
            return 0
        lo, hi = ranges[service]
        if rest == "*":
            return _range_bits(lo, hi)
        rx = re.compile(_glob_source(low), re.IGNORECASE | re.DOTALL)
        return sum(1 << i for i in range(lo, hi) if rx.fullmatch(names[i]))
    rx = re.compile(_glob_source(low), re.IGNORECASE | re.DOTALL)
    return sum(1 << i for i, n in enumerate(names) if rx.fullmatch(n))


def globs_bits(globs: Iterable[str]) -> int:
    out = 0
    for g in globs:
        out |= pattern_bits(g)
    return out


def statement_bits(s: Statement) -> int:
    """The catalogue actions a statement's Action (or NotAction) covers."""
    bits = globs_bits(p.text for p in s.actions.patterns)
    if s.not_action:
        return _range_bits(0, len(catalogue()[0])) & ~bits
    return bits


@cache
def rcp_bits() -> int:
    _, _, ranges = catalogue()
    out = 0
    for svc in rcp_supported_services():
        if svc in ranges:
            out |= _range_bits(*ranges[svc])
    return out


@dataclass(frozen=True)
class ActionClass:
    """Actions no statement tells apart; ``action`` is the one a counterexample names."""

    index: int
    action: str
    size: int
    rcp: bool
    statements: frozenset[int]  # id() of the statements whose Action matches


def classify(domain: int, statements: Sequence[Statement]) -> list[ActionClass]:
    """Split ``domain`` (a bitset) by every statement's action set and by RCP support."""
    names = catalogue()[0]
    blocks = [domain] if domain else []
    sets = {id(s): statement_bits(s) for s in statements}
    for bits in [*dict.fromkeys(sets.values()), rcp_bits()]:
        nxt = []
        for b in blocks:
            inside, outside = b & bits, b & ~bits
            nxt += [x for x in (inside, outside) if x]
        blocks = nxt
    out = []
    for i, b in enumerate(sorted(blocks, key=lambda x: (x & -x))):
        first = (b & -b).bit_length() - 1
        out.append(ActionClass(i, names[first], b.bit_count(), bool(rcp_bits() >> first & 1),
                               frozenset(k for k, bits in sets.items() if bits >> first & 1)))
    return out
