"""Locating elements: json_lines maps every key and item of a JSON text to its line."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from aigov.policy.checks.document import PolicyDoc, json_lines

scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False,
                    allow_infinity=False), st.text(max_size=8))
documents = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=6), inner, max_size=4)),
    max_leaves=20)


def paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for k, v in value.items():
            yield from paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from paths(v, (*prefix, i))


@given(documents)
def test_every_path_of_an_indented_document_gets_its_own_line(doc):
    text = json.dumps(doc, indent=2)
    lines = json_lines(text)
    assert set(lines) == set(paths(doc))
    # json.dumps(indent=2) starts every key and item on a line of its own, in order.
    located = [lines[p] for p in paths(doc) if p]
    assert located == sorted(located)
    assert len(set(located)) == len(located)


def test_minified_document_is_all_on_line_one():
    assert set(json_lines('{"a":[1,{"b":"}"}]}').values()) == {1}


def test_single_statement_object_is_statement_zero_at_its_line():
    text = '{\n "Statement": {\n  "Effect": "Deny"\n }\n}'
    doc = PolicyDoc(json.loads(text), "SERVICE_CONTROL_POLICY", lines=json_lines(text))
    assert doc.statements() == [(0, {"Effect": "Deny"})]
    assert doc.at("POLICY_BAD_EFFECT", "x", statement=0, element="Effect").location["line"] == 3
