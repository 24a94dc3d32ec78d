"""Grammar checks per policy type: a passing and a failing example each."""

from __future__ import annotations

import json

import pytest

from aigov.policy.checks import assign_grammar, grammar, values
from aigov.policy.checks.document import PolicyDoc, json_lines


def doc(document: dict, ptype: str = "SERVICE_CONTROL_POLICY") -> PolicyDoc:
    text = json.dumps(document, indent=2)
    return PolicyDoc(document=document, type=ptype, file="p.json", lines=json_lines(text))


def codes(found) -> list[str]:
    return sorted(f.code for f in found)


DENY = {"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"}
RCP_DENY = {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*"}


def test_version_2012_passes():
    assert codes(grammar.check_version(doc({"Version": "2012-10-17", "Statement": [DENY]}))) == []


@pytest.mark.parametrize(("version", "code"), [(None, "POLICY_VERSION_MISSING"),
                                               ("2008-10-17", "POLICY_VERSION_INVALID")])
def test_missing_or_old_version_is_reported(version, code):
    d = {"Statement": [DENY]} if version is None else {"Version": version, "Statement": [DENY]}
    assert codes(grammar.check_version(doc(d))) == [code]


def test_well_formed_statement_passes_structure():
    d = {"Version": "2012-10-17", "Statement": [
        {**DENY, "Sid": "A1", "Condition": {"ForAnyValue:StringNotLikeIfExists": {"aws:TagKeys": ["x"]}}}]}
    assert codes(grammar.check_structure(doc(d))) == []


def test_single_statement_object_is_accepted():
    assert codes(grammar.check_structure(doc({"Version": "2012-10-17", "Statement": DENY}))) == []


def test_malformed_statement_reports_each_problem_at_its_element():
    d = {"Version": "2012-10-17", "Statement": [{"Effect": "deny", "Actions": "s3:*"}]}
    found = list(grammar.check_structure(doc(d)))
    assert codes(found) == ["POLICY_ACTION_ELEMENT", "POLICY_BAD_EFFECT",
                            "POLICY_RESOURCE_ELEMENT", "POLICY_UNKNOWN_ELEMENT"]
    effect = next(f for f in found if f.code == "POLICY_BAD_EFFECT")
    assert effect.location == {"statement": 0, "element": "Effect", "line": 5}


def test_no_statement_is_an_error():
    assert codes(grammar.check_structure(doc({"Version": "2012-10-17"}))) == ["POLICY_NO_STATEMENT"]


def test_bad_action_format_sid_and_operator_are_errors():
    d = {"Version": "2012-10-17", "Statement": [
        {**DENY, "Sid": "no-dashes", "Action": "s3 DeleteBucket",
         "Condition": {"StringEqualz": {"aws:RequestedRegion": "us-east-1"}}},
        {**DENY, "Sid": "Same"}, {**DENY, "Sid": "Same"}]}
    assert codes(grammar.check_structure(doc(d))) == [
        "POLICY_ACTION_FORMAT", "POLICY_CONDITION_OPERATOR", "POLICY_SID_DUPLICATE",
        "POLICY_SID_INVALID"]


def test_scp_without_principal_passes():
    assert codes(grammar.check_scp_grammar(doc({"Statement": [DENY]}))) == []


def test_scp_with_principal_is_an_error():
    d = {"Statement": [{**DENY, "Principal": "*"}, {**DENY, "NotPrincipal": {"AWS": "1"}}]}
    assert codes(grammar.check_scp_grammar(doc(d))) == ["SCP_PRINCIPAL", "SCP_PRINCIPAL"]


def test_rcp_deny_with_star_principal_passes():
    assert codes(grammar.check_rcp_grammar(doc({"Statement": [RCP_DENY]}, "RESOURCE_CONTROL_POLICY"))) == []


def test_rcp_with_allow_statement_is_an_error():
    d = {"Statement": [{**RCP_DENY, "Effect": "Allow"}]}
    assert codes(grammar.check_rcp_grammar(doc(d, "RESOURCE_CONTROL_POLICY"))) == ["RCP_ALLOW"]


def test_rcp_principal_notaction_star_and_unsupported_service_are_errors():
    d = {"Statement": [
        {"Effect": "Deny", "Principal": {"AWS": "111122223333"}, "NotAction": "s3:*", "Resource": "*"},
        {**RCP_DENY, "Action": ["*", "ec2:RunInstances"]},
        {**RCP_DENY, "NotPrincipal": {"AWS": "1"}}]}
    assert codes(grammar.check_rcp_grammar(doc(d, "RESOURCE_CONTROL_POLICY"))) == [
        "RCP_ACTION_ALL", "RCP_NOT_ACTION", "RCP_PRINCIPAL", "RCP_PRINCIPAL",
        "RCP_UNSUPPORTED_SERVICE"]


OPT = "AISERVICES_OPT_OUT_POLICY"


def test_opt_out_default_locked_passes():
    d = {"services": {"default": {"opt_out_policy": {
        "@@operators_allowed_for_child_policies": ["@@none"], "@@assign": "optOut"}}}}
    assert codes(assign_grammar.check_opt_out_grammar(doc(d, OPT))) == []


def test_opt_out_unknown_service_suggests_the_close_name():
    d = {"services": {"rekognitoin": {"opt_out_policy": {"@@assign": "optOut"}}}}
    (f,) = assign_grammar.check_opt_out_grammar(doc(d, OPT))
    assert f.code == "OPTOUT_UNKNOWN_SERVICE"
    assert "'rekognition'" in f.message


def test_opt_out_wrong_capitalisation_and_operator_are_errors():
    d = {"services": {"default": {"opt_out_policy": {
        "@@assing": "optOut", "@@operators_allowed_for_child_policies": "@@none"}},
        "lex": {"opt_out_policy": {"@@assign": "OptOut"}}}, "extra": 1}
    assert codes(assign_grammar.check_opt_out_grammar(doc(d, OPT))) == [
        "OPTOUT_BAD_VALUE", "OPTOUT_SYNTAX", "OPTOUT_SYNTAX", "OPTOUT_SYNTAX"]


TAG = "TAG_POLICY"


def test_tag_policy_with_matching_keys_passes():
    d = {"tags": {"data-classification": {
        "tag_key": {"@@assign": "data-classification"},
        "tag_value": {"@@assign": ["public", "internal"]},
        "enforced_for": {"@@assign": ["sagemaker:endpoint"]}}}}
    assert codes(assign_grammar.check_tag_grammar(doc(d, TAG))) == []


def test_tag_key_that_differs_from_the_tag_name_is_an_error():
    d = {"tags": {"project": {"tag_key": {"@@assign": "Owner"}, "values": {"@@assign": ["a"]}}}}
    assert codes(assign_grammar.check_tag_grammar(doc(d, TAG))) == ["TAG_KEY_MISMATCH", "TAG_SYNTAX"]


def test_tag_value_must_be_a_list():
    d = {"tags": {"project": {"tag_key": {"@@assign": "project"}, "tag_value": {"@@assign": "a"}}}}
    assert codes(assign_grammar.check_tag_grammar(doc(d, TAG))) == ["TAG_SYNTAX"]


def test_condition_values_the_operator_can_compare_pass():
    d = {"Version": "2012-10-17", "Statement": [
        {**DENY, "Condition": {"Null": {"aws:TagKeys": "true"}, "BoolIfExists": {"aws:SecureTransport": False},
                               "NumericGreaterThan": {"sagemaker:MaxRuntimeInSeconds": "86400"}}}]}
    assert codes(grammar.check_structure(doc(d))) == []


def test_condition_value_the_operator_cannot_compare_is_an_error():
    d = {"Version": "2012-10-17", "Statement": [
        {**DENY, "Condition": {"Null": {"aws:TagKeys": "yes"},
                               "NumericGreaterThan": {"sagemaker:MaxRuntimeInSeconds": "one day"}}}]}
    assert codes(values.check_condition_values(doc(d))) == ["POLICY_CONDITION_VALUE"] * 2
