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


def classes(patterns: Sequence[Alts], limit: int = 20_000
            ) -> list[tuple[tuple[bool, ...], str]]:
    """Every reachable combination of matches (one bool per pattern) and its shortest
    witness; ``TooLarge`` past ``limit`` product states."""
    seqs = [(k, seq) for k, alts in enumerate(patterns) for seq in alts]
    sigma = alphabet(patterns)
    start = tuple(_closure(seq, frozenset({0})) for _, seq in seqs)
    cache: dict[tuple[int, frozenset[int], str], frozenset[int]] = {}

    def signature(state: tuple[frozenset[int], ...]) -> tuple[bool, ...]:
        bits = [False] * len(patterns)
        for (k, seq), s in zip(seqs, state, strict=True):
            if len(seq) in s:
                bits[k] = True
        return tuple(bits)

    found: dict[tuple[bool, ...], str] = {}
    seen = {start: ""}
    queue = deque([start])
    while queue:
        state = queue.popleft()
        word = seen[state]
        found.setdefault(signature(state), word)
        for ch in sigma:
            nxt = []
            for j, ((_, seq), s) in enumerate(zip(seqs, state, strict=True)):
                if not s:
                    nxt.append(s)
                    continue
                key = (j, s, ch)
                got = cache.get(key)
                if got is None:
                    got = cache[key] = _step(seq, s, ch)
                nxt.append(got)
            t = tuple(nxt)
            if t not in seen:
                if len(seen) >= limit:
                    raise TooLarge(f"more than {limit} automaton states")
                seen[t] = word + ch
                queue.append(t)
    return list(found.items())
