"""Pattern classes by automata: each reachable combination of matches, with a witness
the evaluator's own matcher agrees with."""

from __future__ import annotations

import itertools
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aigov.policy.match import Pattern
from aigov.policy.prove import tokens as tk
from aigov.policy.prove.automata import TooLarge, alphabet, classes
from aigov.policy.prove.strings import pattern_alts


def test_a_digits_account_never_escapes_an_arn_wildcard() -> None:
    """The inclusion cvc5 and z3 time out on: every 12-digit account matches
    arn:aws:iam::*:role/bg (the wildcard stays in its ARN part, digits have no colon)."""
    prop = (tk.literal("arn:aws:iam::") + ((False, tk.DIGIT),) * 12 + tk.literal(":role/bg"),)
    arn = pattern_alts(Pattern("arn:aws:iam::*:role/bg", arn=True))
    got = dict(classes([prop, arn]))
    assert (True, False) not in got and (True, True) in got


@pytest.mark.parametrize("pats", [
    ["arn:aws:s3:::b/*", "arn:aws:s3:::*", "arn:aws:*:*:*:x", "*"],
    ["arn:aws:bedrock:*::foundation-model/a*", "arn:aws:bedrock:*:*:inference-profile/*"],
])
def test_every_witness_has_the_matches_of_its_class(pats: list[str]) -> None:
    compiled = [Pattern(p, arn=True) for p in pats]
    for bits, word in classes([pattern_alts(p) for p in compiled]):
        assert tuple(p.matches(word) for p in compiled) == bits


def test_ignore_case_literal_folds_like_the_evaluator() -> None:
    p = Pattern("Us-East-1", ignore_case=True)
    got = classes([pattern_alts(p), (tk.literal("US-EAST-1"),)])
    assert (True, True) in dict(got) and (True, False) in dict(got)  # us-east-1 too
    assert all(p.matches(w) == b[0] for b, w in got)


def test_too_many_states_is_reported() -> None:
    many = [(tk.glob(f"*{c}*{c}*"),) for c in "abcdefghij"]
    with pytest.raises(TooLarge):
        classes(many, limit=50)


def test_glob_tokens_match_like_the_contract() -> None:
    seq = tk.glob("a*:?/b")
    assert re.fullmatch(r"a.*:./b", "a:x:y/b")
    assert dict(classes([(seq,)]))[(True,)]


def _glob_regex(text: str) -> re.Pattern[str]:
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c)
                              for c in text), re.DOTALL)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet="ab:*?", min_size=1, max_size=4), min_size=1, max_size=3))
def test_the_classes_are_every_combination_a_short_string_reaches_with_a_shortest_witness(
        globs: list[str]) -> None:
    """Against brute force: every string of up to 5 characters over the search's
    alphabet (each character a pattern names, and one it does not) has a combination
    of matches that ``classes`` lists, and no listed witness is longer than the
    shortest such string; each witness has its combination."""
    found = dict(classes([(tk.glob(g),) for g in globs]))
    regexes = [_glob_regex(g) for g in globs]
    sigma = alphabet([(tk.glob(g),) for g in globs])
    shortest: dict[tuple[bool, ...], int] = {}
    for n in range(6):
        for chars in itertools.product(sigma, repeat=n):
            bits = tuple(r.fullmatch("".join(chars)) is not None for r in regexes)
            shortest.setdefault(bits, n)
    for bits, n in shortest.items():
        assert bits in found and len(found[bits]) <= n
    for bits, word in found.items():
        assert tuple(r.fullmatch(word) is not None for r in regexes) == bits
