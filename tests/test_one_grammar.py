"""One grammar for SCPs and RCPs: the compiler (``policy/parse.py``) refuses a document
with the first error of lint's own checks (``checks/wellformed.py``), located and with
lint's code, and compiles the document model lint reads (docs/contracts/lint-and-simulate.md)."""

from __future__ import annotations

import json

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from aigov.errors import PolicySyntaxError
from aigov.findings import Severity, catalogue
from aigov.paths import default_spec
from aigov.policy.checks import registry
from aigov.policy.checks.document import PolicyDoc, json_lines
from aigov.policy.checks.wellformed import WARNING_ONLY, form_errors
from aigov.policy.managed import RCP_FULL_AWS_ACCESS
from aigov.policy.parse import parse_policy, plainly_well_formed
from aigov.policy.render import render_spec
from aigov.policy.types import RCP, SCP
from aigov.spec import load_spec


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


_COND_VALUE = st.sampled_from(["true", "no", "arn:aws:iam::*:role/x", "arn:bad", "*", "?*",
                               "2026-01-01", "2026-13-01", "12", "1e3", "x${aws:username}",
                               "10.0.0.0/8", "10.0.0.0/33", "", 5, True, None, {"a": 1}])
_OPERATOR = st.sampled_from([
    "StringEquals", "StringNotLike", "StringEqualsIgnoreCase", "ArnLike", "ArnNotEquals",
    "DateLessThan", "NumericEquals", "Bool", "Null", "NullIfExists", "ForAnyValue:Null",
    "ForAllValues:StringLike", "ForAnyValue:ArnLikeIfExists", "IpAddress", "NotIpAddress",
    "BinaryEquals", "Foo", "Foo:StringLike", "StringEqualsIfExists", "IfExists"])
_CONDITION = st.one_of(
    st.dictionaries(_OPERATOR, st.one_of(
        st.dictionaries(st.sampled_from(["aws:PrincipalArn", "aws:CurrentTime", "k"]),
                        st.one_of(_COND_VALUE, st.lists(_COND_VALUE, max_size=3)),
                        max_size=2), _COND_VALUE), max_size=3),
    st.sampled_from([None, "x", []]))
_PLAIN_VALUES = {**_VALUES, "Condition": _CONDITION,
                 **{k: st.one_of(_VALUES[k], st.none()) for k in ("NotAction", "Resource",
                                                                  "NotResource", "Effect")},
                 "Sid": st.sampled_from(["S1", "S1", "S2", "", "no-dash", None, 3]),
                 "Action": st.one_of(_VALUES["Action"], st.none(), st.lists(
                     st.sampled_from(["s3:Get*", "iam:*", "ec2:?un*", "bad", "", None]),
                     max_size=3))}
_PLAIN_STATEMENT = st.dictionaries(st.sampled_from(sorted(_PLAIN_VALUES)), st.none(),
                                   max_size=6).flatmap(
    lambda keys: st.fixed_dictionaries({k: _PLAIN_VALUES[k] for k in keys}))


@settings(max_examples=1_500, deadline=None)
@given(version=st.sampled_from(["2012-10-17", "2012-10-17", "2008-10-17", None]),
       statements=st.lists(st.one_of(_PLAIN_STATEMENT.map(lambda s: {**_BASE, **s}),
                                     _PLAIN_STATEMENT), min_size=0, max_size=3),
       single=st.booleans(), extra=st.sampled_from([{}, {}, {"Id": "x"}, {"Extra": 1}]))
@example(version="2012-10-17", single=True, extra={}, statements=[
    {"Effect": "Deny", "Action": None, "NotAction": "s3:*", "Resource": "*"}])
@example(version="2012-10-17", single=False, extra={}, statements=[
    {"Effect": "Deny", "Action": "s3:*", "Resource": None, "NotResource": "*"}])
def test_the_quick_walk_accepts_only_what_lint_finds_no_error_in(version, statements, single,
                                                                   extra):
    """``plainly_well_formed`` is the compiler's shortcut past the full checks: whatever it
    accepts, lint's form checks find no error in (the full checks decide the rest)."""
    document: dict = {"Statement": statements[0] if single and statements else statements,
                      **extra}
    if version:
        document["Version"] = version
    if plainly_well_formed(document):
        assert form_errors(document, SCP) == []


@pytest.mark.parametrize("document", [
    {"Version": "2012-10-17", "Statement": {"Effect": "Deny", "Action": "s3:*",
                                            "Resource": "*"}},
    {"Version": "2012-10-17", "Id": "guard", "Statement": [
        {"Sid": "A1", "Effect": "Deny", "NotAction": ["iam:*", "sts:*"], "NotResource": [
            "arn:aws:iam::*:role/admin"],
         "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["eu-west-1"]},
                       "ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/ops-*"},
                       "DateGreaterThan": {"aws:CurrentTime": "2026-06-30T00:00:00Z"},
                       "Null": {"aws:ResourceTag/team": "true"},
                       "ForAnyValue:StringLike": {"aws:TagKeys": ["x*"]}}},
        {"Sid": "A2", "Effect": "Allow", "Action": "*", "Resource": "*"}]},
])
def test_the_quick_walk_takes_the_documents_people_write(document: dict) -> None:
    """The shortcut is taken for ordinary SCPs (otherwise it would only cost time), and
    the policy it compiles is the one the full checks would have let through."""
    assert plainly_well_formed(document)
    assert form_errors(document, SCP) == []
    assert parse_policy(document, custom=True).statements


def test_every_starter_scp_takes_the_quick_walk() -> None:
    rendered = render_spec(load_spec(default_spec()))
    scps = [p for p in rendered.values() if p.type == SCP]
    assert scps
    assert [p.name for p in scps if not plainly_well_formed(p.document)] == []


def test_a_document_of_mapping_subclasses_compiles_as_the_plain_one() -> None:
    """The quick walk takes only plain dicts and lists; a document a caller built from
    subclasses (an OrderedDict, a str subclass) goes through the full checks and
    compiles to the same statements."""
    from collections import OrderedDict

    class Text(str):
        pass

    plain = {"Version": "2012-10-17", "Statement": {"Sid": "A1", "Effect": "Deny",
                                                    "Action": "s3:*", "Resource": "*"}}
    odd = OrderedDict(Version="2012-10-17", Statement=OrderedDict(
        Sid="A1", Effect="Deny", Action=Text("s3:*"), Resource="*"))
    assert not plainly_well_formed(odd)
    got, want = parse_policy(odd).statements, parse_policy(plain).statements
    assert [(s.sid, s.effect, s.actions.patterns[0].text) for s in got] == \
        [(s.sid, s.effect, s.actions.patterns[0].text) for s in want] == [("A1", "Deny", "s3:*")]
