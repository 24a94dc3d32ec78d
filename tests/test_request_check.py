"""Requests that cannot exist are caught before they are decided (no green ALLOW)."""

from __future__ import annotations

import pytest

from aigov.policy.request_check import check_request, expand_action

OBJECT = "arn:aws:s3:::bucket/key"


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"action": ""}, "action"),
    ({"action": "notaservice"}, "action"),
    ({"action": "s3:GetObjet"}, "action"),
    ({"action": "sagemakr:CreateTrainingJob"}, "action"),
    ({"action": "s3:Nothing*"}, "action"),
    ({"action": "s3:GetObject", "resource": "bucket/key"}, "resource"),
    ({"action": "s3:GetObject",
      "resource": "arn:aws:sagemaker:us-east-1:111122223333:training-job/x"}, "resource"),
    ({"action": "s3:GetObject", "resource": OBJECT, "region": "moon-1"}, "region"),
    ({"action": "s3:GetObject", "resource": OBJECT, "context": {"made:up": "x"}}, "context"),
    ({"action": "s3:GetObject", "resource": OBJECT,
      "context": {"sagemaker:VolumeKmsKeyArn": "x"}}, "context"),
    ({"action": "s3:GetObject", "principal": "garbage"}, "principal"),
])
def test_invalid_request_names_the_field(kwargs: dict, field: str) -> None:
    problems = check_request(**kwargs)
    assert [p.field for p in problems] == [field]


def test_misspelled_action_suggests_the_catalogue_name() -> None:
    (problem,) = check_request("s3:GetObjet")
    assert "s3:GetObject" in problem.fix


@pytest.mark.parametrize(("action", "resource"), [
    ("s3:GetObject", OBJECT),
    ("s3:GetObject", "*"),
    ("sagemaker:CreateTrainingJob", "arn:aws:sagemaker:us-east-1:111122223333:training-job/d"),
    ("bedrock:InvokeModel",
     "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0"),
    ("sagemaker:*", "*"),
])
def test_real_request_has_no_problem(action: str, resource: str) -> None:
    assert check_request(action, resource, {"aws:SecureTransport": "true",
                                            "aws:PrincipalOrgID": "o-1"},
                         "arn:aws:iam::111122223333:role/Dev", "eu-west-1") == []


def test_wildcard_action_expands_to_catalogue_names() -> None:
    names = expand_action("s3:GetObjectA*")
    assert "s3:GetObjectAcl" in names
    assert all(n.startswith("s3:GetObjectA") for n in names)
