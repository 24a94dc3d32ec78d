"""One grammar for SCPs and RCPs: the compiler (``policy/parse.py``) refuses a document
with the first error of lint's own checks (``checks/wellformed.py``), located and with
lint's code, and compiles the document model lint reads (docs/contracts/lint-and-simulate.md)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aigov.errors import PolicySyntaxError
from aigov.findings import Severity, catalogue
from aigov.policy.checks import registry
from aigov.policy.checks.document import PolicyDoc, json_lines
from aigov.policy.checks.wellformed import WARNING_ONLY, form_errors
from aigov.policy.managed import RCP_FULL_AWS_ACCESS
from aigov.policy.parse import parse_policy
from aigov.policy.types import RCP, SCP


def test_checks_skipped_for_errors_can_only_warn() -> None:
    """The checks the compiler skips emit no error-severity code."""
    for check in WARNING_ONLY:
        codes = registry.Rule(check, "document", (SCP,)).codes
        assert codes, check.__name__
        assert all(catalogue()[c].severity != Severity.ERROR for c in codes), check.__name__


def test_refusal_names_the_element_lints_code_and_the_line() -> None:
    text = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Action": "s3:*", "Resource": "*",
         "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/33"}}}]}, indent=2)
    doc = PolicyDoc(json.loads(text), SCP, file="guard.json", lines=json_lines(text))
    with pytest.raises(PolicySyntaxError) as info:
        parse_policy(doc, name="guard")
    err = info.value
    assert "policy 'guard', statement 0, Condition.IpAddress.aws:SourceIp:" in err.message
    assert err.message.endswith("(POLICY_CONDITION_VALUE)")
    assert (err.file, err.location) == ("guard.json", "10")


def test_the_compiled_policy_reads_the_document_model_it_was_given() -> None:
    doc = PolicyDoc({"Version": "2012-10-17", "Statement": {"Effect": "Deny", "Action": "s3:*",
                                                              "Resource": "*"}}, SCP)
    assert parse_policy(doc, name="p").source is doc


def test_aws_managed_rcp_compiles_but_a_custom_copy_is_refused() -> None:
    """RCP syntax: custom RCPs only Deny; RCPFullAWSAccess is AWS's own Allow."""
    assert parse_policy(RCP_FULL_AWS_ACCESS, policy_type=RCP).statements[0].effect == "Allow"
    with pytest.raises(PolicySyntaxError, match="RCP_ALLOW"):
        parse_policy(RCP_FULL_AWS_ACCESS, policy_type=RCP, custom=True)


def test_version_2008_compiles_but_lint_and_a_custom_policy_require_2012() -> None:
    document = {"Version": "2008-10-17", "Statement": {"Effect": "Deny", "Action": "s3:*",
                                                        "Resource": "*"}}
    assert parse_policy(document).statements
    assert [f.code for f in form_errors(document, SCP)] == ["POLICY_VERSION_INVALID"]
    with pytest.raises(PolicySyntaxError, match="POLICY_VERSION_INVALID"):
        parse_policy(document, custom=True)


_VALUES = {
    "Sid": st.sampled_from(["A1", "no-dash", 3, "", "Dup"]),
    "Effect": st.sampled_from(["Allow", "Deny", "deny", None]),
    "Action": st.sampled_from(["s3:GetObject", "*", "s3:Get*", "GetObject", "", [], 7,
                               ["s3:GetObject", "ec2:Run*"], ["s3:x", 1], "S3:Get"]),
    "NotAction": st.sampled_from(["iam:*", [], "bad"]),
    "Resource": st.sampled_from(["*", "", [], ["arn:aws:s3:::b/*"], [3], "arn:aws:s3:::${aws:username}"]),
    "NotResource": st.sampled_from(["arn:aws:s3:::b", []]),
    "Principal": st.sampled_from(["*", {"AWS": "*"}, {"AWS": "111122223333"}]),
    "NotPrincipal": st.sampled_from(["*"]),
    "Condition": st.sampled_from([
        {"StringEquals": {"aws:RequestedRegion": "us-east-1"}}, {"StringEquals": {"k": []}},
        {"DateLessThan": {"aws:CurrentTime": "soon"}}, {"Bool": {"aws:SecureTransport": "yes"}},
        {"ForAnyValue:StringLike": {"aws:TagKeys": ["a*"]}}, {"Foo:StringLike": {"k": "v"}},
        {"NullIfExists": {"k": "true"}}, "x", {"StringEquals": {}}, {"IpAddress": {"k": {}}}]),
    "Extra": st.sampled_from([1]),
}
_STATEMENT = st.dictionaries(st.sampled_from(sorted(_VALUES)), st.none(), max_size=6).flatmap(
    lambda keys: st.fixed_dictionaries({k: _VALUES[k] for k in keys}))
_BASE = {"Effect": "Deny", "Action": "s3:GetObject", "Resource": "*"}


@settings(max_examples=400, deadline=None)
@given(ptype=st.sampled_from([SCP, RCP]), version=st.sampled_from(["2012-10-17", "2008-10-17",
                                                                   None, "2020-01-01"]),
       statements=st.lists(st.one_of(_STATEMENT.map(lambda s: {**_BASE, **s}), _STATEMENT,
                                     st.just("x")), min_size=0, max_size=3),
       single=st.booleans())
def test_compiler_refuses_exactly_what_lint_calls_an_error(ptype, version, statements, single):
    """Whatever lint's form checks call an error the compiler refuses, with that code
    first; whatever they accept it compiles."""
    document: dict = {"Statement": statements[0] if single and statements else statements}
    if version:
        document["Version"] = version
    errors = form_errors(document, ptype)
    try:
        parse_policy(document, policy_type=ptype, custom=True)
    except PolicySyntaxError as exc:
        assert errors, exc.message
        assert exc.message.endswith(f"({errors[0].code})") or any(
            exc.message.endswith(f"({f.code})") for f in errors)
    else:
        assert not errors, [f.code for f in errors]
