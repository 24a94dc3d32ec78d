"""Condition operators (IAM User Guide, "IAM JSON policy elements: Condition operators",
"Multivalued context keys", "Policy variables")."""

from __future__ import annotations

import pytest

from aigov.policy.conditions import ConditionError, parse_condition_block


def holds(block: dict, context: dict) -> bool:
    conds = parse_condition_block(block, variables=True)
    ctx = {k.lower(): (v,) if isinstance(v, str) else tuple(v) for k, v in context.items()}
    return all(c.holds(ctx) for c in conds)


@pytest.mark.parametrize(("block", "context", "expected"), [
    ({"StringEquals": {"aws:RequestedRegion": "us-east-1"}}, {"aws:RequestedRegion": "us-east-1"}, True),
    ({"StringEquals": {"aws:RequestedRegion": "us-east-1"}}, {"aws:RequestedRegion": "US-EAST-1"}, False),
    ({"StringEqualsIgnoreCase": {"aws:RequestedRegion": "us-east-1"}}, {"aws:RequestedRegion": "US-EAST-1"}, True),
    ({"StringNotEqualsIgnoreCase": {"k": "abc"}}, {"k": "ABC"}, False),
    ({"StringLike": {"s3:prefix": "home/*"}}, {"s3:prefix": "home/ann/x"}, True),
    ({"StringLike": {"s3:prefix": "home/?"}}, {"s3:prefix": "home/ab"}, False),
    ({"StringEquals": {"k": "a*"}}, {"k": "abc"}, False),
    ({"StringNotLike": {"k": ["a*", "b*"]}}, {"k": "cat"}, True),
    ({"StringNotLike": {"k": ["a*", "b*"]}}, {"k": "bat"}, False),
    ({"NumericLessThan": {"s3:max-keys": "10"}}, {"s3:max-keys": "9"}, True),
    ({"NumericLessThanEquals": {"s3:max-keys": 10}}, {"s3:max-keys": "10"}, True),
    ({"NumericGreaterThan": {"n": "1.5"}}, {"n": "1.4"}, False),
    ({"NumericGreaterThanEquals": {"n": "2"}}, {"n": "2"}, True),
    ({"NumericEquals": {"n": "2"}}, {"n": "2.0"}, True),
    ({"NumericNotEquals": {"n": "2"}}, {"n": "3"}, True),
    ({"NumericEquals": {"n": "2"}}, {"n": "two"}, False),
    ({"DateLessThan": {"aws:CurrentTime": "2026-01-01T00:00:00Z"}}, {"aws:CurrentTime": "2025-12-31T23:59:59Z"}, True),
    ({"DateGreaterThan": {"aws:CurrentTime": "2026-01-01T00:00:00Z"}}, {"aws:CurrentTime": "2025-12-31T23:59:59Z"}, False),
    ({"DateEquals": {"aws:EpochTime": "1767225600"}}, {"aws:EpochTime": "2026-01-01T00:00:00Z"}, True),
    ({"DateNotEquals": {"t": "2026-01-01"}}, {"t": "2026-01-02"}, True),
    ({"DateLessThanEquals": {"t": "2026-01-01"}}, {"t": "2026-01-01"}, True),
    ({"DateGreaterThanEquals": {"t": "2026-01-01"}}, {"t": "2025-01-01"}, False),
    ({"Bool": {"aws:SecureTransport": "false"}}, {"aws:SecureTransport": "FALSE"}, True),
    ({"Bool": {"aws:SecureTransport": False}}, {"aws:SecureTransport": "true"}, False),
    ({"BinaryEquals": {"k": "QmluYXJ5"}}, {"k": "QmluYXJ5"}, True),
    ({"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, {"aws:SourceIp": "203.0.113.9"}, True),
    ({"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, {"aws:SourceIp": "198.51.100.1"}, False),
    ({"IpAddress": {"aws:SourceIp": "2001:db8::/32"}}, {"aws:SourceIp": "2001:db8::1"}, True),
    ({"NotIpAddress": {"aws:SourceIp": ["203.0.113.0/24", "10.0.0.0/8"]}}, {"aws:SourceIp": "10.1.2.3"}, False),
    ({"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, {"aws:SourceIp": "198.51.100.1"}, True),
    ({"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/admin-*"}}, {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/admin-x"}, True),
    ({"ArnEquals": {"aws:SourceArn": "arn:aws:sns:*:111122223333:t"}}, {"aws:SourceArn": "arn:aws:sns:us-east-1:111122223333:t"}, True),
    ({"ArnNotEquals": {"aws:SourceArn": "arn:aws:sns:us-east-1:111122223333:t"}}, {"aws:SourceArn": "arn:aws:sns:us-east-1:111122223333:t"}, False),
    ({"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/break-glass"}}, {"aws:PrincipalArn": "arn:aws:iam::1:role/dev"}, True),
    ({"ArnLike": {"aws:SourceArn": "arn:aws:*"}}, {"aws:SourceArn": "not-an-arn"}, False),
])
def test_operator_compares_as_aws_documents(block: dict, context: dict, expected: bool) -> None:
    """Each operator family: String*, Numeric*, Date*, Bool, BinaryEquals,
    IpAddress/NotIpAddress with CIDR, Arn*."""
    assert holds(block, context) is expected


@pytest.mark.parametrize(("operator", "expected"), [
    ("StringEquals", False), ("StringLike", False), ("NumericLessThan", False),
    ("DateGreaterThan", False), ("Bool", False), ("IpAddress", False), ("ArnLike", False),
    ("StringNotEquals", True), ("StringNotLike", True), ("StringNotEqualsIgnoreCase", True),
    ("NumericNotEquals", True), ("DateNotEquals", True), ("ArnNotEquals", True),
    ("ArnNotLike", True), ("NotIpAddress", True),
])
def test_missing_key_is_false_except_for_negated_operators(operator: str, expected: bool) -> None:
    """IAM: "If the key ... is not present in the request context, the values do not
    match and the condition is false. If the policy condition requires that the key is
    not matched, such as StringNotLike or ArnNotLike, and the right key is not present,
    the condition is true." """
    value = {"Bool": "true", "IpAddress": "10.0.0.0/8", "NotIpAddress": "10.0.0.0/8"}.get(
        operator, "1" if "Numeric" in operator or "Date" in operator else "arn:aws:x:::y")
    assert holds({operator: {"aws:SomeKey": value}}, {}) is expected


def test_if_exists_is_true_when_the_key_is_missing_and_tests_it_when_present() -> None:
    """IAM "...IfExists": if the key is absent the condition is true."""
    block = {"StringEqualsIfExists": {"ec2:InstanceType": "t3.micro"}}
    assert holds(block, {})
    assert holds(block, {"ec2:InstanceType": "t3.micro"})
    assert not holds(block, {"ec2:InstanceType": "p5.48xlarge"})


def test_null_checks_presence() -> None:
    """IAM "Condition operator to check existence of condition keys": Null true means
    the key must be absent, false that it must be present."""
    assert holds({"Null": {"aws:TokenIssueTime": "true"}}, {})
    assert not holds({"Null": {"aws:TokenIssueTime": "true"}}, {"aws:TokenIssueTime": "x"})
    assert holds({"Null": {"aws:TokenIssueTime": "false"}}, {"aws:TokenIssueTime": "x"})
    assert not holds({"Null": {"aws:TokenIssueTime": False}}, {})


def test_null_treats_an_empty_set_as_absent() -> None:
    """A multivalued key with no values has nothing to test: Null true holds."""
    assert holds({"Null": {"aws:TagKeys": "true"}}, {"aws:TagKeys": []})


def test_for_all_values_requires_every_request_value_to_match() -> None:
    """IAM "Multivalued context keys": ForAllValues is true if every value in the
    request matches at least one value in the policy."""
    block = {"ForAllValues:StringEquals": {"aws:TagKeys": ["project", "team"]}}
    assert holds(block, {"aws:TagKeys": ["project"]})
    assert not holds(block, {"aws:TagKeys": ["project", "owner"]})


def test_for_all_values_is_true_on_a_missing_key_or_an_empty_set() -> None:
    """IAM: "ForAllValues ... also returns true if there are no context keys in the
    request or if the context key value resolves to a null dataset"."""
    block = {"ForAllValues:StringEquals": {"aws:TagKeys": ["project"]}}
    assert holds(block, {})
    assert holds(block, {"aws:TagKeys": []})


def test_for_any_value_requires_one_match_and_is_false_when_missing() -> None:
    """IAM: ForAnyValue is true if at least one request value matches; it returns
    false when the key is missing or empty."""
    block = {"ForAnyValue:StringEquals": {"aws:TagKeys": ["secret"]}}
    assert holds(block, {"aws:TagKeys": ["a", "secret"]})
    assert not holds(block, {"aws:TagKeys": ["a"]})
    assert not holds(block, {})
    assert not holds(block, {"aws:TagKeys": []})


def test_negated_operator_with_set_qualifier_applies_to_each_value() -> None:
    """ForAnyValue:StringNotEquals: true when some request value is outside the list
    (the usual "deny any tag key not approved" pattern)."""
    block = {"ForAnyValue:StringNotEquals": {"aws:TagKeys": ["project", "team"]}}
    assert holds(block, {"aws:TagKeys": ["project", "rogue"]})
    assert not holds(block, {"aws:TagKeys": ["project", "team"]})


def test_for_any_value_if_exists_is_true_on_a_missing_key() -> None:
    assert holds({"ForAnyValue:StringLikeIfExists": {"aws:TagKeys": "x*"}}, {})


def test_keys_are_anded_and_values_ored() -> None:
    """IAM: several keys in a block are ANDed; several values of one key are ORed."""
    block = {"StringEquals": {"a": ["1", "2"], "b": "3"}}
    assert holds(block, {"a": "2", "b": "3"})
    assert not holds(block, {"a": "2", "b": "4"})


def test_condition_key_names_are_case_insensitive() -> None:
    """IAM: condition key names are not case-sensitive."""
    assert holds({"StringEquals": {"AWS:RequestedRegion": "eu-west-1"}},
                 {"aws:requestedregion": "eu-west-1"})


def test_policy_variable_in_condition_value() -> None:
    """IAM "Policy variables" in condition values: compare to the principal's tag."""
    block = {"StringEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"}}
    assert holds(block, {"aws:ResourceTag/team": "ml", "aws:PrincipalTag/team": "ml"})
    assert not holds(block, {"aws:ResourceTag/team": "ml", "aws:PrincipalTag/team": "web"})
    assert not holds(block, {"aws:ResourceTag/team": "ml"})


def test_negated_operator_with_an_unresolvable_variable_is_false() -> None:
    """IAM "Policy variables": a variable with no value cannot match, so the statement
    does not apply, even under a negated operator (the data-perimeter pattern
    StringNotEqualsIfExists aws:PrincipalOrgID ${aws:ResourceOrgID})."""
    block = {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": "${aws:ResourceOrgID}"}}
    assert not holds(block, {"aws:PrincipalOrgID": "o-other"})
    assert holds(block, {"aws:PrincipalOrgID": "o-other", "aws:ResourceOrgID": "o-mine"})
    assert not holds(block, {"aws:PrincipalOrgID": "o-mine", "aws:ResourceOrgID": "o-mine"})
    assert holds(block, {})


def test_multivalued_key_without_qualifier_matches_any_value() -> None:
    assert holds({"StringEquals": {"k": "b"}}, {"k": ["a", "b"]})
    assert not holds({"StringNotEquals": {"k": "b"}}, {"k": ["a", "b"]})


@pytest.mark.parametrize(("block", "element"), [
    ({"StringEqualz": {"k": "v"}}, "Condition.StringEqualz"),
    ({"ForSomeValues:StringEquals": {"k": "v"}}, "Condition.ForSomeValues:StringEquals"),
    ({"NullIfExists": {"k": "true"}}, "Condition.NullIfExists"),
    ({"Null": {"k": "maybe"}}, "Condition.Null.k"),
    ({"NumericLessThan": {"k": "ten"}}, "Condition.NumericLessThan.k"),
    ({"DateLessThan": {"k": "yesterday"}}, "Condition.DateLessThan.k"),
    ({"Bool": {"k": "yes"}}, "Condition.Bool.k"),
    ({"IpAddress": {"k": "300.1.1.1/8"}}, "Condition.IpAddress.k"),
    ({"StringEquals": {"k": []}}, "Condition.StringEquals.k"),
    ({"StringEquals": {"k": {"nested": 1}}}, "Condition.StringEquals.k"),
    ({"StringEquals": {}}, "Condition.StringEquals"),
    ("StringEquals", "Condition"),
])
def test_malformed_condition_names_the_element(block: object, element: str) -> None:
    with pytest.raises(ConditionError) as info:
        parse_condition_block(block, variables=True)
    assert info.value.element == element
