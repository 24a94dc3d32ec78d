"""Value checks (checks/values.py): each mistake from issue 16 is a finding with its
statement and line, and the batch simulator refuses exactly what lint calls an error.

Rules: IAM User Guide, "IAM JSON policy elements: Condition operators", "Multivalued
context keys", "Policy variables"; IAM Access Analyzer "IAM policy validation check
reference" (Error - Data type mismatch, Error - Null with if exists)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aigov.policy.batch import BatchSimulator
from aigov.policy.checks import values
from aigov.policy.checks.document import PolicyDoc, json_lines
from aigov.policy.checks.wellformed import form_errors
from aigov.policy.lint import lint_document

SCP, RCP = "SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"


def doc(condition: dict | None = None, *, ptype: str = SCP, **stmt: object) -> PolicyDoc:
    s = {"Effect": "Deny", "Action": "s3:GetObject", "Resource": "*", **stmt}
    if ptype == RCP:
        s["Principal"] = "*"
    if condition is not None:
        s["Condition"] = condition
    d = {"Version": "2012-10-17", "Statement": [s]}
    return PolicyDoc(document=d, type=ptype, file="p.json",
                     lines=json_lines(json.dumps(d, indent=2)))


def codes(found) -> list[str]:
    return sorted(f.code for f in found)


@pytest.mark.parametrize("condition", [
    {"DateGreaterThan": {"aws:CurrentTime": "2026-13-01T00:00:00Z"}},   # month 13
    {"DateLessThan": {"aws:CurrentTime": "next tuesday"}},
    {"NotIpAddress": {"aws:SourceIp": "198.51.100.0/33"}},               # prefix > 32
    {"IpAddress": {"aws:SourceIp": "2001:db8::/129"}},
    {"NumericLessThan": {"aws:MultiFactorAuthAge": "an hour"}},
    {"Bool": {"aws:SecureTransport": "yes"}},
    {"ArnLike": {"aws:PrincipalArn": "role/Admin"}},
    {"DateGreaterThan": {"aws:CurrentTime": "${aws:TokenIssueTime}"}},  # no variables here
])
def test_value_its_operator_cannot_compare_is_an_error_at_its_line(condition):
    found = list(values.check_condition_values(doc(condition)))
    assert codes(found) == ["POLICY_CONDITION_VALUE"]
    assert found[0].severity == "error"
    assert found[0].location["statement"] == 0 and found[0].location["line"] > 1


@pytest.mark.parametrize("condition", [
    {"DateGreaterThan": {"aws:CurrentTime": "2026-06-30"}},
    {"DateGreaterThan": {"aws:CurrentTime": "2026-06-30T12:00:00.5+02:00"}},
    {"DateLessThan": {"aws:EpochTime": "1751284800"}},
    {"NotIpAddress": {"aws:SourceIp": ["198.51.100.0/24", "2001:db8::/32", "203.0.113.7"]}},
    {"NumericLessThan": {"aws:MultiFactorAuthAge": 3600}},
    {"Bool": {"aws:SecureTransport": False}},
    {"ArnNotLike": {"aws:PrincipalArn": ["arn:aws:iam::*:role/Admin*", "*"]}},
    {"StringEquals": {"aws:ResourceAccount": "${aws:PrincipalAccount}"}},
])
def test_values_of_every_family_and_both_ip_families_pass(condition):
    assert codes(values.check_condition_values(doc(condition))) == []


def test_null_with_ifexists_is_an_error():
    found = codes(values.check_condition_values(doc({"NullIfExists": {"aws:TagKeys": "false"}})))
    assert found == ["POLICY_NULL_IFEXISTS"]


def test_set_operator_on_single_valued_key_and_plain_operator_on_multivalued_key_warn():
    single = doc({"ForAnyValue:StringEquals": {"aws:RequestedRegion": "us-east-1"}})
    multi = doc({"StringEquals": {"aws:TagKeys": "team"}})
    service_multi = doc({"StringLike": {"sagemaker:InstanceTypes": "ml.p5.*"}})
    assert codes(values.check_set_operators(single)) == ["POLICY_SET_OPERATOR_SINGLE_VALUED"]
    assert codes(values.check_set_operators(multi)) == ["POLICY_MULTIVALUED_WITHOUT_SET_OPERATOR"]
    assert codes(values.check_set_operators(service_multi)) == [
        "POLICY_MULTIVALUED_WITHOUT_SET_OPERATOR"]
    ok = doc({"ForAllValues:StringEquals": {"aws:TagKeys": ["team"]},
              "StringEquals": {"aws:RequestedRegion": "us-east-1"}})
    assert codes(values.check_set_operators(ok)) == []


def test_policy_variable_before_the_fifth_colon_is_reported():
    """IAM "Policy variables": only the resource part of an ARN takes variables."""
    bad = doc(Resource="arn:aws:iam::${aws:PrincipalAccount}:role/x")
    good = doc(Resource="arn:aws:s3:::home/${aws:username}/*")
    assert codes(values.check_resource_variables(bad)) == ["POLICY_VARIABLE_IN_ARN_HEAD"]
    assert codes(values.check_resource_variables(good)) == []


@pytest.mark.parametrize(("ptype", "document", "code"), [
    (SCP, {"Statement": [{"Effect": "Deny", "Action": "s3:*", "Resource": "*"}]},
     "POLICY_VERSION_MISSING"),
    (RCP, {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*",
                                                   "Action": "s3:*", "Resource": "*"}]},
     "RCP_ALLOW"),
    (RCP, {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*",
                                                   "NotAction": "s3:*", "Resource": "*"}]},
     "RCP_NOT_ACTION"),
    (RCP, {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*",
                                                   "Action": "*", "Resource": "*"}]},
     "RCP_ACTION_ALL"),
    (SCP, {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "s3:*",
           "Resource": "*", "Condition": {"DateGreaterThan": {"aws:CurrentTime": "2026-13-01"}}}]},
     "POLICY_CONDITION_VALUE"),
])
def test_simulator_refuses_what_lint_calls_an_error(ptype, document, code):
    assert code in {f.code for f in lint_document(PolicyDoc(document=document, type=ptype))
                    if f.severity == "error"}
    field = "scps" if ptype == SCP else "rcps"
    line = {"id": "c", field: [[document]], "request": {"action": "s3:GetObject",
                                                        "resource": "arn:aws:s3:::b/k"}}
    if ptype == RCP:
        line["scps"] = []
    out = BatchSimulator().answer(json.dumps(line))
    assert "decision" not in out and "error" in out


_OPS = st.sampled_from(["DateGreaterThan", "NotIpAddress", "IpAddress", "NumericLessThan",
                        "Bool", "Null", "NullIfExists", "ArnLike", "StringEquals",
                        "ForAnyValue:StringLike", "ForAllValues:Null", "BinaryEquals",
                        "StringEqualsIfExists", "NumericEquals"])
_VALUES = st.one_of(st.sampled_from(["2026-13-01", "2026-06-30", "1751284800", "10.0.0.0/8",
                                     "10.0.0.0/33", "::1", "true", "maybe", "3.5", "arn:aws:s3:::b",
                                     "b", "", "${aws:username}"]), st.text(max_size=6))


@settings(max_examples=300, deadline=None)
@given(op=_OPS, value=_VALUES)
def test_lint_and_simulator_agree_on_what_is_malformed(op, value):
    """Whatever lint calls an error the simulator refuses, and whatever the simulator
    refuses lint calls an error: the two never disagree."""
    document = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Deny", "Action": "s3:GetObject", "Resource": "*",
        "Condition": {op: {"aws:SourceIp": value}}}]}
    lint_error = bool(form_errors(document, SCP))
    out = BatchSimulator().answer(json.dumps({"id": 1, "scps": [[document]], "request": {
        "action": "s3:GetObject", "resource": "arn:aws:s3:::b/k"}}))
    assert ("error" in out) == lint_error, out
