"""Which combinations of patterns one string can match: a product of automata.

String solvers decide "matches A and not B" poorly when both have wildcards (regular-
language inclusion): cvc5 1.4 and z3 4.15 both time out on
``arn:aws:iam::<12 digits>:role/x`` against ``arn:aws:iam::*:role/x`` negated. Yet a
string that only meets regular patterns (the resource, the principal, most context
values) matters to a decision only through *which* patterns it matches. So the patterns
are run together as automata over a small alphabet (every character a pattern names,
and one character standing for all others), breadth first; every reachable combination
of matches is a class, with the shortest string that has it. The solver then picks a
class, as it picks an action class, and each pattern test is a constant per class.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

from aigov.policy.prove.tokens import Alts, Seq, contains

OTHER_CANDIDATES = "xyzqjkvw0123456789-_.abcdefghilmnoprstuABCDEFGHIJKLMNOPQRSTUVWXYZ"


class TooLarge(Exception):
    """The product has more states than the budget; the caller asks the solver instead."""


def _closure(seq: Seq, states: frozenset[int]) -> frozenset[int]:
    out = set(states)
    todo = list(states)
    while todo:
        i = todo.pop()
        if i < len(seq) and seq[i][0] and i + 1 not in out:
            out.add(i + 1)
            todo.append(i + 1)
    return frozenset(out)


def _step(seq: Seq, states: frozenset[int], ch: str) -> frozenset[int]:
    nxt = set()
    for i in states:
        if i < len(seq) and contains(seq[i][1], ch):
            nxt.add(i if seq[i][0] else i + 1)
    return _closure(seq, frozenset(nxt)) if nxt else frozenset()


def alphabet(patterns: Sequence[Alts]) -> list[str]:
    """Every character a class names, then one that none names."""
    named: set[str] = set()
    for alts in patterns:
        for seq in alts:
            for _, (_, chars) in seq:
                named |= chars
    other = next((c for c in OTHER_CANDIDATES if c not in named), None)
    if other is None:
        other = next(chr(c) for c in range(0x100, 0x30000) if chr(c) not in named)
    return sorted(named) + [other]


class _Automaton:
    """One pattern's automaton over ``sigma``, its state sets numbered as first met (0 is
    the dead one), with each state's row of successors (one per character of ``sigma``)
    worked out when the search first reaches that state."""

    def __init__(self, seq: Seq, sigma: Sequence[str]) -> None:
        self.seq, self.sigma = seq, sigma
        self._ids: dict[frozenset[int], int] = {frozenset(): 0}
        self.sets: list[frozenset[int]] = [frozenset()]
        self.accepting = [False]
        self._rows: list[tuple[int, ...] | None] = [(0,) * len(sigma)]
        self.start = self._id(_closure(seq, frozenset({0})))

    def _id(self, states: frozenset[int]) -> int:
        got = self._ids.get(states)
        if got is None:
            got = self._ids[states] = len(self.sets)
            self.sets.append(states)
            self.accepting.append(len(self.seq) in states)
            self._rows.append(None)
        return got

    def row(self, state: int) -> tuple[int, ...]:
        got = self._rows[state]
        if got is None:
            seq, states = self.seq, self.sets[state]
            # A character that no class of these positions names is in exactly the
            # negated ones, whichever it is: all such characters lead to one state.
            named: set[str] = set()
            for i in states:
                if i < len(seq):
                    named |= seq[i][1][1]
            other: int | None = None
            out = []
            for ch in self.sigma:
                if ch in named:
                    out.append(self._id(_step(seq, states, ch)))
                else:
                    if other is None:
                        other = self._id(_step(seq, states, ch))
                    out.append(other)
            got = self._rows[state] = tuple(out)
        return got


def classes(patterns: Sequence[Alts], limit: int = 20_000
            ) -> list[tuple[tuple[bool, ...], str]]:
    """Every reachable combination of matches (one bool per pattern) and its shortest
    witness; ``TooLarge`` past ``limit`` product states.

    Breadth first over the product, characters in ``sigma``'s order, so each class's
    witness is the first shortest string to reach it. A product state is a tuple of
    the automata's state numbers, and its successors for every character at once are
    the automata's rows read across (``zip``): the search makes one tuple per edge and
    no per-character lookups (the proofs of one starter run build about 80,000 edges).
    """
    sigma = alphabet(patterns)
    owners = [k for k, alts in enumerate(patterns) for _ in alts]
    autos = [_Automaton(seq, sigma) for alts in patterns for seq in alts]
    accepting = [a.accepting for a in autos]
    width = len(patterns)

    def signature(state: tuple[int, ...]) -> tuple[bool, ...]:
        bits = [False] * width
        for k, acc, s in zip(owners, accepting, state, strict=True):
            if acc[s]:
                bits[k] = True
        return tuple(bits)

    if not autos:  # no pattern can match: one class, the empty string's
        return [(signature(()), "")]
    start = tuple(a.start for a in autos)
    found: dict[tuple[bool, ...], str] = {}
    seen = {start: ""}
    queue = deque([start])
    while queue:
        state = queue.popleft()
        word = seen[state]
        found.setdefault(signature(state), word)
        rows = [a.row(s) for a, s in zip(autos, state, strict=True)]
        for ch, t in zip(sigma, zip(*rows, strict=True), strict=True):
            if t not in seen:
                if len(seen) >= limit:
                    raise TooLarge(f"more than {limit} automaton states")
                seen[t] = word + ch
                queue.append(t)
    return list(found.items())
