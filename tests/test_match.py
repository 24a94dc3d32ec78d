"""Wildcard matching of actions and resources (IAM JSON policy element reference:
"Action", "Resource", "Policy variables"), with property-based checks against a
reference matcher."""

from __future__ import annotations

import re
from functools import cache

from hypothesis import given, settings
from hypothesis import strategies as st

from aigov.policy.match import Pattern, PatternSet, _regex_of

ALPHABET = "ab:/*?"


def reference_match(pattern: str, value: str) -> bool:
    """A plain dynamic-programming glob: ``*`` any run, ``?`` one character."""

    @cache
    def go(i: int, j: int) -> bool:
        if i == len(pattern):
            return j == len(value)
        if pattern[i] == "*":
            return go(i + 1, j) or (j < len(value) and go(i, j + 1))
        if j < len(value) and pattern[i] in ("?", value[j]):
            return go(i + 1, j + 1)
        return False

    return go(0, 0)


@given(st.text(alphabet=ALPHABET, max_size=8), st.text(alphabet="ab:/", max_size=8))
def test_action_wildcards_agree_with_a_reference_glob(pattern: str, value: str) -> None:
    """IAM: "*" matches any combination of characters and "?" any single character."""
    assert Pattern(pattern, ignore_case=True).matches(value) == reference_match(pattern, value)


@given(st.text(alphabet="abcXYZ:", min_size=1, max_size=12))
def test_action_names_match_case_insensitively(name: str) -> None:
    """IAM: action names are case-insensitive (s3:getobject is s3:GetObject)."""
    assert Pattern(name, ignore_case=True).matches(name.swapcase())


@given(st.text(alphabet="abAB/", min_size=1, max_size=12))
def test_resources_match_case_sensitively(path: str) -> None:
    """IAM: resource ARNs are case-sensitive."""
    arn = f"arn:aws:s3:::{path}"
    assert Pattern(arn, arn=True).matches(arn)
    if path.swapcase() != path:
        assert not Pattern(arn, arn=True).matches(f"arn:aws:s3:::{path.swapcase()}")


@given(st.text(alphabet="ab/", max_size=6), st.text(alphabet="ab/", max_size=6),
       st.text(alphabet="ab/", max_size=6))
def test_a_star_in_place_of_any_substring_still_matches(a: str, b: str, c: str) -> None:
    assert Pattern(f"{a}*{c}").matches(a + b + c)


def test_arn_wildcard_stays_inside_its_part() -> None:
    """IAM: each of the first five ARN parts is matched on its own; the resource part
    may hold colons and slashes."""
    p = Pattern("arn:aws:bedrock:*::foundation-model/*", arn=True)
    assert p.matches("arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-v2:1")
    assert not p.matches("arn:aws:bedrock:us-east-1:111122223333:foundation-model/x")


def test_policy_variable_is_filled_from_the_context() -> None:
    """IAM "Policy variables": ${aws:PrincipalTag/team} takes the request's tag value."""
    p = Pattern("arn:aws:s3:::data/${aws:PrincipalTag/team}/*", arn=True, variables=True)
    ctx = {"aws:principaltag/team": ("ml",)}
    assert p.matches("arn:aws:s3:::data/ml/x", ctx)
    assert not p.matches("arn:aws:s3:::data/web/x", ctx)


def test_policy_variable_without_value_matches_nothing_unless_defaulted() -> None:
    """IAM: a variable with no value in the request does not match; a default
    (``${aws:PrincipalTag/team, 'shared'}``) stands in for the missing value."""
    plain = Pattern("arn:aws:s3:::data/${aws:PrincipalTag/team}/*", arn=True, variables=True)
    assert not plain.matches("arn:aws:s3:::data/ml/x", {})
    dflt = Pattern("arn:aws:s3:::data/${aws:PrincipalTag/team, 'shared'}/*", arn=True,
                   variables=True)
    assert dflt.matches("arn:aws:s3:::data/shared/x", {})


def test_escaped_wildcards_are_literal_characters() -> None:
    """IAM: ${*}, ${?} and ${$} stand for the characters *, ? and $."""
    p = Pattern("a${*}b${?}c${$}", variables=True)
    assert p.matches("a*b?c$")
    assert not p.matches("aXXbYc$")


def test_variables_are_literal_when_disabled() -> None:
    """IAM "Version": policy variables need Version 2012-10-17; before, text is literal."""
    assert Pattern("${aws:username}", wildcards=False).matches("${aws:username}")


def test_pattern_set_matches_any_member() -> None:
    s = PatternSet([Pattern("s3:Get*", ignore_case=True), Pattern("iam:PassRole",
                                                                   ignore_case=True)])
    assert s.matches("s3:getobject") and s.matches("IAM:PASSROLE")
    assert not s.matches("s3:PutObject")
    assert s.first_match("s3:GetBucketPolicy") == "s3:Get*"


# IAM JSON policy elements: Resource, "Using wildcards in resource ARNs": "If the *
# wildcard is the last character of a resource ARN segment, it can expand to match
# beyond the colon boundaries."
def test_star_ending_a_resource_arn_segment_matches_across_colons() -> None:
    """``arn:aws:ec2:*`` covers an instance ARN; ``arn:aws:sqs:us-east-1:*`` a queue."""
    assert Pattern("arn:aws:ec2:*", resource=True).matches(
        "arn:aws:ec2:us-east-1:111122223333:instance/i-0abc")
    assert Pattern("arn:aws:sqs:us-east-1:*", resource=True).matches(
        "arn:aws:sqs:us-east-1:111122223333:queue1")
    assert Pattern("arn:aws:iam::*", resource=True).matches(
        "arn:aws:iam::111122223333:role/Dev")


def test_star_inside_a_resource_arn_segment_stays_in_it() -> None:
    """IAM Resource reference: a wildcard that does not end its segment stays inside it."""
    p = Pattern("arn:aws:ec2:us-*-1:111122223333:instance/*", resource=True)
    assert p.matches("arn:aws:ec2:us-east-1:111122223333:instance/i-1")
    assert not p.matches("arn:aws:ec2:us-east:x-1:111122223333:instance/i-1")


def test_arn_like_condition_keeps_each_part_separate() -> None:
    """IAM condition operators, ArnLike: "each of the six colon-delimited components of
    the ARN is checked separately"; the Resource element's expansion does not apply."""
    assert not Pattern("arn:aws:ec2:*", arn=True).matches(
        "arn:aws:ec2:us-east-1:111122223333:instance/i-0abc")


# IAM "Policy variables", "Where you can use policy variables": "You can use policy
# variables in the Resource element, but only in the resource portion of the ARN. This
# portion of the ARN appears after the fifth colon (:). You can't use a variable to
# replace parts of the ARN before the fifth colon, such as the service or account."
def test_policy_variable_is_substituted_only_in_the_resource_part() -> None:
    ctx = {"aws:principalaccount": ("111122223333",), "aws:username": ("bob",)}
    in_account = Pattern("arn:aws:iam::${aws:PrincipalAccount}:role/Dev", resource=True,
                         variables=True)
    assert not in_account.matches("arn:aws:iam::111122223333:role/Dev", ctx)
    assert in_account.matches("arn:aws:iam::${aws:PrincipalAccount}:role/Dev", ctx)
    in_resource = Pattern("arn:aws:s3:::home/${aws:username}/*", resource=True, variables=True)
    assert in_resource.matches("arn:aws:s3:::home/bob/notes", ctx)


def test_colon_in_a_substituted_value_is_not_an_arn_boundary() -> None:
    """A variable's value is text: its colons do not shift the five-part ARN head."""
    ctx = {"aws:principalarn": ("arn:aws:iam::1:role/a",)}
    p = Pattern("arn:aws:s3:::logs/${aws:PrincipalArn}/*", resource=True, variables=True)
    assert p.matches("arn:aws:s3:::logs/arn:aws:iam::1:role/a/x", ctx)


# -- the regex-free fast paths decide exactly as the regular expression ------------------

_GLOB_TEXT = st.text(alphabet="ab:*/-", max_size=14)


@settings(max_examples=400, deadline=None)
@given(body=_GLOB_TEXT, value=st.text(alphabet="abAB:/-", max_size=16),
       arn=st.booleans(), resource=st.booleans(), ignore_case=st.booleans())
def test_glob_fast_path_agrees_with_the_regex(body: str, value: str, arn: bool,
                                              resource: bool, ignore_case: bool) -> None:
    """Literal, ``*``-only globs and per-part ARN globs are matched without a regex; they
    must decide as the compiled expression of the same pattern does (IAM wildcard rules:
    a head ``*`` stays in its ARN part unless it ends a Resource part)."""
    text = ("arn:" + body) if arn else body
    value = ("arn:" + value) if arn and not value.startswith("arn:") else value
    p = Pattern(text, ignore_case=ignore_case and not arn, arn=arn and not resource,
                resource=resource)
    flags = re.DOTALL | (re.IGNORECASE if p.ignore_case else 0)
    expected = re.fullmatch(_regex_of([(text, True)], arn=p.arn, resource=p.resource),
                            value, flags) is not None
    assert p.matches(value) == expected
    assert PatternSet([p]).matches(value) == expected
