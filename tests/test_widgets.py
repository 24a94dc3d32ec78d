"""The onboarding views driven without a browser: tree, playground, editor, live view,
and the notebook executed headless by papermill."""

from __future__ import annotations

import json
import re

import boto3
import nbformat
import pytest

from aigov.errors import SpecError, UsageError
from aigov.paths import default_spec
from aigov.policy.simulate import run_policy_tests
from aigov.spec import load_spec
from aigov.target.emulator import EMULATOR_CREDENTIALS
from aigov.widgets import LiveOrgView, OUTreeBrowser, PolicyEditor, PolicyPlayground
from aigov.widgets.cases import append_case
from aigov.widgets.completion import complete_action, known_action
from conftest import ROOT

LEAVE = "organizations:LeaveOrganization"


@pytest.fixture(scope="module")
def spec():
    return load_spec(default_spec())


@pytest.fixture
def playground(spec):
    return PolicyPlayground(spec)


# -- OU tree browser ----------------------------------------------------------------------

def test_tree_browser_shows_the_path_from_root_to_an_account(spec):
    browser = OUTreeBrowser(spec)
    browser.select("ai-dev")
    assert browser.path == ["Root", "AI", "AI/Development", "account:ai-dev"]
    assert browser.accounts() == ["ai-dev"]


def test_tree_browser_lists_policies_attached_at_each_level_of_the_path(spec):
    frame = OUTreeBrowser(spec, select="ai-dev").attached_frame()
    at = {(r.level, r.policy) for r in frame.itertuples()}
    assert ("Root", "deny-leave-organization") in at
    assert ("AI", "bedrock-approved-models") in at
    assert ("AI/Development", "sagemaker-instance-types-dev") in at
    assert ("account:ai-dev", "FullAWSAccess") in at
    assert ("Root", "RCPFullAWSAccess") in at
    assert not any(level == "AI/Production" for level, _ in at)


def test_tree_browser_shows_the_selected_accounts_effective_ai_settings(spec):
    """The effective AI opt-out per service and Bedrock guardrail per Region (issue 16)."""
    browser = OUTreeBrowser(spec, select="ai-prod")
    frame = browser.ai_settings_frame()
    guards = frame[frame["setting"] == "Bedrock guardrail"]
    assert sorted(guards["where"]) == ["eu-west-1", "us-east-1", "us-west-2"]
    assert ("AI opt-out", "default", "optOut") in set(frame.itertuples(index=False, name=None))
    assert "effective AI settings" in browser._detail.value
    assert browser.ai_settings_frame("security-audit")["setting"].tolist() == ["AI opt-out"]
    assert browser.ai_settings_frame("AI").empty


def test_tree_browser_lists_the_accounts_under_an_ou_and_its_children(spec):
    assert sorted(OUTreeBrowser(spec, select="AI").accounts()) == ["ai-dev", "ai-prod",
                                                                  "ai-staging"]
    assert OUTreeBrowser(spec, select="Suspended").accounts() == []


def test_tree_browser_leaves_out_full_aws_access_where_the_spec_detaches_it(spec):
    org = spec.organization.model_copy(update={"full_aws_access": spec.organization
                                               .full_aws_access.model_copy(
                                                   update={"detach_from": ("Sandbox",)})})
    detached = spec.model_copy(update={"organization": org})
    frame = OUTreeBrowser(detached, select="Sandbox").attached_frame()
    assert ("Sandbox", "FullAWSAccess") not in {(r.level, r.policy) for r in frame.itertuples()}
    assert ("Root", "FullAWSAccess") in {(r.level, r.policy) for r in frame.itertuples()}


def test_tree_browser_rejects_an_unknown_target(spec):
    with pytest.raises(KeyError):
        OUTreeBrowser(spec).select("no-such-account")


def test_tree_browser_static_view_has_every_node(spec):
    overview = OUTreeBrowser(spec).overview()
    assert len(overview) == len(spec.targets())
    assert "deny-leave-organization" in overview.loc[0, "SCP"]


# -- action completion --------------------------------------------------------------------

def test_action_completion_offers_catalogue_names_as_aws_spells_them():
    got = complete_action("s3:getob")
    assert got[0] == "s3:GetObject"
    assert all(a.lower().startswith("s3:getob") for a in got)


def test_action_completion_falls_back_to_names_containing_the_text():
    assert "bedrock:InvokeModel" in complete_action("invokemodel", limit=200)


def test_known_action_rejects_a_misspelling_and_wildcards():
    assert known_action("bedrock:InvokeModel")
    assert not known_action("bedrock:InvokeModle")
    assert not known_action("s3:*")


# -- policy playground --------------------------------------------------------------------

def test_playground_opens_on_an_allowed_request(playground):
    assert playground.decision.decision == "allow"


def test_changing_the_action_decides_again_and_names_the_deciding_policy(playground):
    playground.set(action=LEAVE)
    assert playground.decision.decision == "deny"
    assert "deny-leave-organization" in playground.deciding
    assert "DENY" in playground._output.value and "deny-leave-organization" in \
        playground._output.value


def test_changing_the_target_decides_again(playground):
    resource = "arn:aws:bedrock:us-east-1::foundation-model/deepseek.r1-v1:0"
    playground.set(target="AI/Development", resource=resource)
    assert playground.decision.decision == "deny"
    assert "bedrock-approved-models" in playground.deciding
    playground.set(target="Sandbox")
    assert playground.decision.decision == "allow"


def test_typing_into_a_widget_decides_again(playground):
    playground.inputs["action"].value = LEAVE
    assert playground.decision.decision == "deny"


def test_region_outside_the_allow_list_is_denied_by_the_region_policy(playground):
    playground.set(target="Sandbox", action="ec2:RunInstances", resource="*",
                   region="ap-southeast-2")
    assert playground.decision.decision == "deny"
    assert "region-allow-list" in playground.deciding


def test_context_keys_take_precedence_over_the_region_field(playground):
    playground.set(region="us-east-1", context='{"aws:RequestedRegion": "ap-south-1"}')
    assert playground.context()["aws:RequestedRegion"] == "ap-south-1"
    assert playground.decision.decision == "deny"


def test_context_as_yaml_flow_mapping_with_a_list_value(playground):
    playground.set(context="{aws:TagKeys: [project, owner], aws:SecureTransport: true}")
    ctx = playground.context()
    assert ctx["aws:TagKeys"] == ["project", "owner"]
    assert ctx["aws:SecureTransport"] == "true"


def test_unparsable_context_shows_an_error_instead_of_a_decision(playground):
    playground.set(context="{aws:SecureTransport: [")
    assert playground.decision is None
    assert "context" in playground.error
    playground.set(context="{}")
    assert playground.decision.decision == "allow"


def test_typing_an_action_updates_the_completion_options(playground):
    playground.set(action="bedrock:invokem")
    assert "bedrock:InvokeModel" in playground.inputs["action"].options


def test_playground_rejects_an_unknown_input_name(playground):
    with pytest.raises(UsageError):
        playground.set(acton=LEAVE)


def test_add_as_test_case_writes_a_case_the_policy_tests_accept(spec, playground, tmp_path):
    path = tmp_path / "onboarding.yaml"
    playground.set(action=LEAVE)
    playground.add_case("ai-dev cannot leave", path=path)
    playground.set(action="bedrock:InvokeModel")
    playground.add_case(path=path)
    report = run_policy_tests(spec, paths=[path])
    assert [r.case.expect for r in report.results] == ["deny", "allow"]
    assert report.ok
    assert report.results[0].case.name == "ai-dev cannot leave"


def test_add_as_test_case_keeps_comments_and_earlier_cases(playground, tmp_path):
    path = tmp_path / "team.yaml"
    path.write_text("# the team's cases\ncases:\n- name: first\n  target: Root\n"
                    "  action: s3:GetObject\n  expect: allow\n")
    playground.add_case(path=path)
    text = path.read_text()
    assert text.startswith("# the team's cases\ncases:\n- name: first\n")
    assert text.count("- name:") == 2


def test_add_as_test_case_refuses_a_file_it_cannot_append_to(playground, tmp_path):
    path = tmp_path / "odd.yaml"
    original = "cases:\n- name: a\n  target: Root\n  action: s3:GetObject\n  expect: allow\n" \
               "owner: platform\n"
    path.write_text(original)
    with pytest.raises(SpecError):
        playground.add_case(path=path)
    assert path.read_text() == original


def test_append_case_leaves_no_file_behind_when_the_case_is_invalid(tmp_path):
    path = tmp_path / "new.yaml"
    with pytest.raises(SpecError):
        append_case(path, {"name": "x", "target": "Root", "action": "s3:GetObject",
                           "expect": "maybe"})
    assert not path.exists()


def test_playground_static_fallback_is_text_with_the_decision(playground, monkeypatch):
    playground.set(action=LEAVE)
    monkeypatch.setenv("AIGOV_WIDGETS", "1")
    bundle = playground._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert "deny-leave-organization" in bundle["text/plain"]
    assert "<table" in bundle["text/html"]


def test_headless_display_is_the_static_tables_only(playground, monkeypatch):
    """No person at a screen (papermill: allow_stdin false): no empty widget view."""
    monkeypatch.delenv("AIGOV_WIDGETS", raising=False)
    bundle = playground._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" not in bundle
    assert "<table" in bundle["text/html"]


# -- policy editor ------------------------------------------------------------------------

def _draft(statements):
    return json.dumps({"Version": "2012-10-17", "Statement": statements}, indent=2)


def test_editing_a_draft_changes_the_playgrounds_decision(spec, playground):
    editor = PolicyEditor(spec, playground=playground, policy="deny-leave-organization")
    playground.set(action=LEAVE)
    assert playground.decision.decision == "deny"
    editor.set_text(_draft([{"Effect": "Deny", "Action": "account:CloseAccount",
                             "Resource": "*"}]))
    assert playground.decision.decision == "allow"
    assert playground.drafts.keys() == {"deny-leave-organization"}
    editor.reset()
    assert playground.decision.decision == "deny"
    assert playground.drafts == {}


def test_editor_lints_the_draft_as_you_type(spec):
    editor = PolicyEditor(spec, policy="deny-leave-organization")
    assert editor.findings == []
    editor.set_text(_draft([{"Effect": "Deny", "Action": "organizations:LeaveOrganisation",
                             "Resource": "*"}]))
    assert [f.code for f in editor.findings] == ["IAM_UNKNOWN_ACTION"]
    assert editor.findings[0].location["line"] == 6  # the "Action" line of the draft


def test_editor_shows_the_size_against_the_quota(spec):
    editor = PolicyEditor(spec, policy="deny-leave-organization")
    assert editor.max_size == 10240
    assert 0 < editor.size == len(editor.policy.text)
    big = [{"Sid": f"S{i}", "Effect": "Deny", "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::bucket-with-a-long-name-{i:04d}/*"} for i in range(160)]
    editor.set_text(_draft(big))
    assert editor.size > editor.max_size
    assert "QUOTA_POLICY_SIZE" in {f.code for f in editor.findings}


def test_editor_keeps_the_last_valid_draft_when_the_text_is_not_json(spec, playground):
    editor = PolicyEditor(spec, playground=playground, policy="deny-leave-organization")
    playground.set(action=LEAVE)
    editor.set_text(_draft([{"Effect": "Deny", "Action": "account:CloseAccount",
                             "Resource": "*"}]))
    editor.set_text(editor.text[:-3])
    assert [f.code for f in editor.findings] == ["POLICY_NOT_JSON"]
    assert playground.decision.decision == "allow"


def test_editor_reports_a_draft_the_engine_cannot_parse_and_keeps_deciding(spec, playground):
    editor = PolicyEditor(spec, playground=playground, policy="deny-leave-organization")
    playground.set(action=LEAVE)
    editor.set_text(_draft([{"Effect": "Maybe", "Action": LEAVE, "Resource": "*"}]))
    assert editor.error and "Effect" in editor.error
    assert playground.decision.decision == "deny"


# -- live organization --------------------------------------------------------------------

class _Ctx:
    def __init__(self, spec, endpoint_url):
        self.spec, self.endpoint_url = spec, endpoint_url

    def session(self):
        from aigov.target.clients import clients

        return clients(endpoint_url=self.endpoint_url)


def test_live_view_without_an_endpoint_says_the_session_uses_the_spec_alone(spec):
    view = LiveOrgView.for_context(_Ctx(spec, None))
    assert view.inventory is None
    assert "spec alone" in view.summary()


def test_live_view_shows_the_spec_beside_the_emulators_organization(spec, emulator):
    view = LiveOrgView.for_context(_Ctx(spec, emulator.url))
    assert "no organization yet" in view.summary()
    org = boto3.client("organizations", endpoint_url=emulator.url, region_name="us-east-1",
                       **EMULATOR_CREDENTIALS)
    org.create_organization(FeatureSet="ALL")
    root = org.list_roots()["Roots"][0]["Id"]
    ai = org.create_organizational_unit(ParentId=root, Name="AI")["OrganizationalUnit"]["Id"]
    org.create_organizational_unit(ParentId=root, Name="Unmanaged")
    view.refresh()
    frame = view.frame().set_index("node")
    assert frame.loc["AI", "live id"] == ai
    assert frame.loc["Security", "live id"] == "(missing)"
    assert frame.loc["Unmanaged", "spec policies"] == "(not in spec)"
    assert not frame["in sync"].any()
    assert view.inventory.organization_id in view.summary()


# -- the notebook, headless ---------------------------------------------------------------

def _execute(tmp_path, **parameters):
    import papermill as pm

    out = tmp_path / "onboarding.out.ipynb"
    pm.execute_notebook(str(ROOT / "notebooks/onboarding.ipynb"), str(out),
                        parameters=parameters, cwd=str(tmp_path), kernel_name="python3",
                        progress_bar=False)
    return nbformat.read(out, as_version=4)


def _texts(nb):
    return [o.get("data", {}).get("text/plain", "") for c in nb.cells if c.cell_type == "code"
            for o in c.outputs]


@pytest.mark.slow
def test_headless_run_records_readable_tables_and_no_empty_widget_views(tmp_path, monkeypatch):
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    nb = _execute(tmp_path)
    code = [c for c in nb.cells if c.cell_type == "code"
            and "parameters" not in c.metadata.get("tags", [])
            and not c.source.lstrip().startswith("from ")]
    assert len(code) == 4 and all(c.outputs for c in code)  # no empty "In [ ]" cell
    kinds = {k for c in nb.cells if c.cell_type == "code" for o in c.outputs
             for k in o.get("data", {})}
    assert "application/vnd.jupyter.widget-view+json" not in kinds
    text = "\n".join(_texts(nb))
    assert "deny-leave-organization" in text  # the tree's table
    assert "ALLOW: allowed" in text  # the playground's decision, explained
    assert re.search(r"^decision +allow$", text, re.M)  # left-aligned, next to its name
    assert "of 10,240 characters" in text  # the editor's size
    assert "spec alone" in text  # no endpoint


@pytest.mark.slow
def test_headless_run_with_an_endpoint_shows_the_live_organization(tmp_path, emulator,
                                                                   monkeypatch):
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    nb = _execute(tmp_path, endpoint_url=emulator.url)
    text = "\n".join(_texts(nb))
    assert f"{emulator.url}: no organization yet" in text
