"""The onboarding session a newcomer finishes alone: requests checked before they are
decided, a deny explained down to the condition, the context fixed from the listed keys,
drafts kept per policy, cases recorded honestly. Driven without a browser
(tests/test_browser.py drives the same views in JupyterLab)."""

from __future__ import annotations

import json

import pytest

from aigov.errors import UsageError
from aigov.spec import load_spec
from aigov.widgets import OUTreeBrowser, PolicyEditor, PolicyPlayground

S3_READ = {"target": "ai-dev", "action": "s3:GetObject", "resource": "arn:aws:s3:::models/m",
           "region": "us-east-1", "context": "{}", "principal": ""}


@pytest.fixture(scope="module")
def spec():
    return load_spec()


@pytest.fixture
def playground(spec, tmp_path):
    return PolicyPlayground(spec, cases_file=tmp_path / "onboarding.yaml")


@pytest.mark.parametrize("change", [
    {"action": ""}, {"action": "notaservice"}, {"resource": "not-an-arn"},
    {"region": "moon-1"}, {"context": "{made:up: x}"}, {"principal": "garbage"},
])
def test_nonsense_request_is_check_the_request_never_allow(playground, change):
    playground.set(**change)
    assert playground.state == "check"
    assert playground.decision is None
    assert "CHECK THE REQUEST" in playground._output.value


def test_wildcard_action_shows_how_many_matching_actions_are_denied(playground):
    playground.set(target="ai-dev", action="sagemaker:*", resource="*")
    assert playground.state in ("mixed", "deny")
    assert "actions matching sagemaker:* are denied" in playground.deciding


def test_s3_read_deny_explained_then_fixed_from_the_listed_keys(playground):
    playground.set(**S3_READ)
    assert playground.state == "deny"
    html = playground._output.value
    assert "data-perimeter" in html and "aws:PrincipalOrgID" in html
    assert "aigov-request-value" in html  # the request's value, shown per condition
    assert "aria-live" in html
    keys = {h.key for h in playground.context_help()}
    assert {"aws:PrincipalOrgID", "aws:SecureTransport"} <= keys
    assert "aws:PrincipalOrgID" in playground._help.value
    playground.fill_context()
    assert playground.state == "allow"
    assert "aws:PrincipalOrgID" in playground.get("context")


def test_region_field_and_requested_region_are_one_value(playground):
    playground.set(context='{"aws:RequestedRegion": "ap-south-1", "aws:SecureTransport": "true"}')
    assert playground.get("region") == "ap-south-1"
    assert "RequestedRegion" not in playground.get("context")
    assert playground.context()["aws:RequestedRegion"] == "ap-south-1"


def test_case_with_an_active_draft_is_refused_and_duplicates_too(spec, playground):
    playground.set(action="organizations:LeaveOrganization", resource="*")
    playground.add_case()
    with pytest.raises(UsageError, match="already has this request"):
        playground.add_case("same request again")
    editor = PolicyEditor(spec, playground=playground, policy="deny-leave-organization")
    editor.set_text(json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Action": "account:CloseAccount", "Resource": "*"}]}))
    playground.set(action="account:CloseAccount")
    with pytest.raises(UsageError, match="draft of deny-leave-organization is active"):
        playground.add_case()


def test_editor_keeps_unparsed_drafts_per_policy_and_sizes_them(spec, playground):
    editor = PolicyEditor(spec, playground=playground, policy="deny-leave-organization")
    good = editor.size
    broken = editor.text[:-2] + ',\n  "Extra": "' + "x" * 100 + '"'
    editor.set_text(broken)
    assert not editor.parsed and editor.size > good + 90  # follows the draft
    assert "estimated" in editor.size_text()
    editor.select("region-allow-list")
    editor.select("deny-leave-organization")
    assert editor.text == broken  # the unparsed draft survived the switch


def test_editor_findings_show_numbered_source_lines(spec, playground):
    editor = PolicyEditor(spec, playground=playground, policy="deny-leave-organization")
    assert "no findings" in editor._findings.value
    editor.set_text(json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Action": "organizations:LeaveOrganisation", "Resource": "*"}]},
        indent=2))
    row = editor.findings_frame().iloc[0]
    assert row["source"].startswith(f"{row['line']:>3} | ")
    assert "LeaveOrganisation" in row["source"]


def test_tree_detail_groups_policies_by_level_with_counts(spec):
    browser = OUTreeBrowser(spec, select="ai-dev")
    html = browser.levels_html()
    assert html.count("<details") == len(browser.path)
    assert "<details open><summary>account ai-dev" in html
    assert "policies)</summary>" in html or "policy)</summary>" in html
