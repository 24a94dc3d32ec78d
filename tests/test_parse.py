"""Parsing SCPs and RCPs (IAM JSON policy element reference; AWS Organizations User
Guide, "SCP syntax" and "RCP syntax"): every malformed document is an error naming the
policy, the statement and the element."""

from __future__ import annotations

import json

import pytest

from aigov.errors import PolicySyntaxError
from aigov.policy.parse import parse_policy
from aigov.policy.types import RCP, SCP

ALLOW_ALL = {"Effect": "Allow", "Action": "*", "Resource": "*"}


def doc(*statements: dict, **top: object) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements), **top}


def test_statement_may_be_a_single_object_or_a_list() -> None:
    one = parse_policy({"Version": "2012-10-17", "Statement": ALLOW_ALL})
    many = parse_policy(doc(ALLOW_ALL, {**ALLOW_ALL, "Sid": "Two"}))
    assert len(one.statements) == 1
    assert [s.sid for s in many.statements] == ["", "Two"]


def test_json_text_is_accepted() -> None:
    assert parse_policy(json.dumps(doc(ALLOW_ALL))).statements[0].effect == "Allow"


def test_full_language_in_scp_allow_statements() -> None:
    """Since September 2025 SCP Allow statements take conditions, resource ARNs,
    NotResource and wildcards anywhere in action names."""
    p = parse_policy(doc({"Effect": "Allow", "Action": "s3:*Object*",
                          "NotResource": "arn:aws:s3:::secret/*",
                          "Condition": {"StringEquals": {"aws:RequestedRegion": "us-east-1"}}}))
    s = p.statements[0]
    assert s.not_resource and s.action_matches("s3:getobjectacl")
    assert s.applies("arn:aws:s3:::open/k", {"aws:requestedregion": ("us-east-1",)})
    assert not s.applies("arn:aws:s3:::secret/k", {"aws:requestedregion": ("us-east-1",)})


def test_rcp_takes_principal_star() -> None:
    p = parse_policy(doc({"Effect": "Deny", "Principal": "*", "Action": "s3:*",
                          "Resource": "*"}), policy_type=RCP)
    assert p.statements[0].effect == "Deny"


def error_of(document: object, policy_type: str = SCP) -> str:
    with pytest.raises(PolicySyntaxError) as info:
        parse_policy(document, name="guard", policy_type=policy_type)
    assert info.value.exit_code == 2
    return info.value.message


@pytest.mark.parametrize(("document", "where"), [
    ("{not json", "policy 'guard': not JSON"),
    ([ALLOW_ALL], "policy 'guard': a policy must be a JSON object"),
    ({"Version": "2012-10-17", "Statements": [ALLOW_ALL]}, "policy 'guard', Statements: unknown top-level"),
    ({"Version": "2020-01-01", "Statement": [ALLOW_ALL]}, "policy 'guard', Version:"),
    ({"Version": "2012-10-17"}, "policy 'guard', Statement: the policy has no Statement"),
    ({"Version": "2012-10-17", "Statement": "Allow"}, "policy 'guard', Statement: Statement must be"),
    (doc(ALLOW_ALL, "x"), "policy 'guard', statement 1: a statement must be a JSON object"),
    (doc({**ALLOW_ALL, "Effect": "allow"}), "statement 0, Effect"),
    (doc({"Effect": "Deny", "Resource": "*"}), "statement 0, Action: the statement has neither Action nor NotAction"),
    (doc({**ALLOW_ALL, "NotAction": "s3:*"}), "statement 0, NotAction: a statement takes Action or NotAction"),
    (doc({"Effect": "Deny", "Action": "s3:*"}), "statement 0, Resource"),
    (doc({**ALLOW_ALL, "NotResource": "*"}), "statement 0, NotResource"),
    (doc({**ALLOW_ALL, "Action": []}), "statement 0, Action: Action is an empty list"),
    (doc({**ALLOW_ALL, "Action": ["s3:GetObject", 7]}), "statement 0, Action: Action must be a string"),
    (doc({**ALLOW_ALL, "Action": "GetObject"}), "statement 0, Action: action 'GetObject'"),
    (doc({**ALLOW_ALL, "Resource": ""}), "statement 0, Resource"),
    (doc({**ALLOW_ALL, "Sid": 3}), "statement 0, Sid"),
    (doc({**ALLOW_ALL, "Actions": "*"}), "statement 0, Actions: unknown statement element"),
    (doc({**ALLOW_ALL, "Principal": "*"}), "statement 0, Principal: SCPs do not take Principal"),
    (doc({**ALLOW_ALL, "NotPrincipal": {"AWS": "x"}}), "statement 0, NotPrincipal: SCPs do not take"),
    (doc({**ALLOW_ALL, "Condition": {"StringEquals": {"k": []}}}),
     "statement 0, Condition.StringEquals.k"),
    (doc(ALLOW_ALL, {**ALLOW_ALL, "Condition": {"DateLessThan": {"aws:CurrentTime": "soon"}}}),
     "statement 1, Condition.DateLessThan.aws:CurrentTime"),
])
def test_malformed_scp_is_an_error_naming_policy_statement_and_element(document: object,
                                                                      where: str) -> None:
    assert where in error_of(document)


@pytest.mark.parametrize(("statement", "where"), [
    ({"Effect": "Deny", "Principal": {"AWS": "arn:aws:iam::1:root"}, "Action": "s3:*",
      "Resource": "*"}, "statement 0, Principal: an RCP's Principal must be"),
    ({"Effect": "Deny", "NotPrincipal": "*", "Action": "s3:*", "Resource": "*"},
     "statement 0, NotPrincipal"),
])
def test_malformed_rcp_principal_is_an_error(statement: dict, where: str) -> None:
    """RCP syntax: Principal must be "*"; NotPrincipal is not supported."""
    assert where in error_of(doc(statement), RCP)


def test_version_2008_keeps_variables_literal() -> None:
    """IAM "Version": policy variables are replaced only under 2012-10-17."""
    p = parse_policy({"Version": "2008-10-17", "Statement": {
        "Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::${aws:username}"}})
    s = p.statements[0]
    assert s.applies("arn:aws:s3:::${aws:username}", {"aws:username": ("ann",)})
    assert not s.applies("arn:aws:s3:::ann", {"aws:username": ("ann",)})


def test_candidates_index_statements_by_action() -> None:
    p = parse_policy(doc({"Effect": "Deny", "Action": "s3:Delete*", "Resource": "*"},
                         {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}))
    denies, allows = p.candidates("s3:deletebucket")
    assert [s.index for s in denies] == [0] and [s.index for s in allows] == [1]
    assert p.candidates("iam:createrole") == ((), ())


def test_resources_and_conditions_compile_only_when_a_request_reaches_them() -> None:
    """A new document pays only for the statements a request's action reaches; the
    others keep their Resource and Condition as written until one does."""
    from aigov.policy.evaluate import Evaluator, chain, make_request

    p = parse_policy(doc({"Effect": "Deny", "Action": "ec2:*", "Resource": "arn:aws:ec2:*:*:x/*",
                          "Condition": {"StringEquals": {"aws:RequestedRegion": "us-east-1"}}},
                         {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::b/*"}))
    ec2, s3 = p.statements
    d = Evaluator().decide(make_request("s3:GetObject", "arn:aws:s3:::b/k"),
                           chain("SCP", [("Root", [p])]))
    assert d.decision == "allow"
    assert s3._resources is not None
    assert ec2._resources is None and ec2._conditions is None
    assert ec2.applies("arn:aws:ec2:us-east-1:1:x/y", {"aws:requestedregion": ("us-east-1",)})
