"""Drift: each class of hand-made change planted in a real moto server and found."""

from __future__ import annotations

import json

import pytest

from aigov.cli import main
from aigov.org.apply import apply_plan
from aigov.org.discover import discover
from aigov.org.drift import drift
from aigov.org.plan import build_plan
from aigov.policy.bundle import Bundle
from aigov.policy.normalize import normalize_document, same_policy
from aigov.policy.render import render_spec
from aigov.spec import load_spec
from aigov.target import calls
from aigov.target.clients import clients
from aigov.target.emulator import Emulator
from aigov.target.state import write_operations
from conftest import FIXTURES
from helpers.recording import line_count, writes

SCP = "SERVICE_CONTROL_POLICY"


@pytest.fixture(scope="module")
def spec():
    return load_spec()


@pytest.fixture(scope="module")
def rendered(spec):
    return render_spec(spec)


@pytest.fixture
def org(emulator, spec, rendered):
    """The spec applied to a fresh emulator; returns its clients."""
    c = clients(emulator.url).writable()
    apply_plan(c, build_plan(spec, discover(c)))
    return c


def _codes(spec, rendered, c) -> list[tuple[str, str]]:
    return sorted((f.code, f.location.get("key", "")) for f in drift(Bundle.of(spec, rendered), discover(c)))


def _doc(c, name: str, ptype: str = SCP) -> tuple[str, dict]:
    pol = discover(c).policies[(ptype, name)]
    return pol.id, json.loads(pol.content)


@pytest.mark.slow
def test_an_organization_built_from_the_spec_has_no_drift(org, spec, rendered):
    assert _codes(spec, rendered, org) == []


def test_no_organization_is_one_finding(emulator, spec, rendered):
    assert _codes(spec, rendered, clients(emulator.url).writable()) == [("DRIFT_NO_ORGANIZATION",
                                                              "organization")]


@pytest.mark.slow
def test_ou_made_by_hand_is_unmanaged(org, spec, rendered):
    inv = discover(org)
    org.organizations.create_organizational_unit(ParentId=inv.ous["AI"].id, Name="Shadow")
    assert _codes(spec, rendered, org) == [("DRIFT_OU_UNMANAGED", "AI/Shadow")]


@pytest.mark.slow
def test_deleted_ou_is_missing_with_its_attachments(org, spec, rendered):
    inv = discover(org)
    ou = inv.ous["Infrastructure"]
    # AWS deletes an empty OU with its attachments (and refuses to detach its last SCP).
    org.organizations.delete_organizational_unit(OrganizationalUnitId=ou.id)
    codes = _codes(spec, rendered, org)
    assert ("DRIFT_OU_MISSING", "Infrastructure") in codes
    assert ("DRIFT_ATTACHMENT_MISSING", "Infrastructure") in codes
    assert {c for c, _ in codes} == {"DRIFT_OU_MISSING", "DRIFT_ATTACHMENT_MISSING"}


@pytest.mark.slow
def test_account_moved_by_hand_is_in_the_wrong_ou(org, spec, rendered):
    inv = discover(org)
    org.organizations.move_account(AccountId=inv.accounts["ai-prod"].id,
                                   SourceParentId=inv.ous["AI/Production"].id,
                                   DestinationParentId=inv.ous["Sandbox"].id)
    assert _codes(spec, rendered, org) == [("DRIFT_ACCOUNT_WRONG_OU", "account:ai-prod")]


@pytest.mark.slow
def test_account_created_by_hand_is_unmanaged(org, spec, rendered):
    org.organizations.create_account(Email="shadow@example.com", AccountName="shadow-ml")
    assert _codes(spec, rendered, org) == [("DRIFT_ACCOUNT_UNMANAGED", "account:shadow-ml")]


@pytest.mark.slow
def test_account_missing_from_the_organization(emulator, spec, rendered):
    c = clients(emulator.url).writable()
    apply_plan(c, build_plan(spec, discover(c)))
    inv = discover(c)
    c.organizations.remove_account_from_organization(AccountId=inv.accounts["ai-staging"].id)
    codes = _codes(spec, rendered, c)
    assert ("DRIFT_ACCOUNT_MISSING", "ai-staging") in codes
    assert {c for c, _ in codes} <= {"DRIFT_ACCOUNT_MISSING", "DRIFT_ATTACHMENT_MISSING"}


@pytest.mark.slow
def test_edited_scp_content_is_changed(org, spec, rendered):
    pid, doc = _doc(org, "deny-leave-organization")
    doc["Statement"][0]["Effect"] = "Allow"
    org.organizations.update_policy(PolicyId=pid, Content=json.dumps(doc))
    assert _codes(spec, rendered, org) == [("DRIFT_POLICY_CHANGED", "deny-leave-organization")]


@pytest.mark.slow
def test_reordered_keys_and_values_are_not_drift(org, spec, rendered):
    pid, doc = _doc(org, "region-allow-list")
    reordered = {"Statement": [dict(reversed(list(s.items()))) for s in doc["Statement"]],
                 "Version": doc["Version"]}
    for stmt in reordered["Statement"]:
        for key in ("Action", "NotAction", "Resource"):
            if isinstance(stmt.get(key), list):
                stmt[key] = list(reversed(stmt[key]))
        for values in stmt.get("Condition", {}).values():
            for k, v in values.items():
                values[k] = list(reversed(v)) if isinstance(v, list) else [v]
    text = json.dumps(reordered, indent=4)
    assert text != rendered["region-allow-list"].text
    org.organizations.update_policy(PolicyId=pid, Content=text)
    assert _codes(spec, rendered, org) == []


@pytest.mark.slow
def test_a_reordered_action_list_is_neither_a_planned_change_nor_drift(org, spec, rendered):
    """Plan and drift share one equality (``normalize_document``): IAM reads Action as a
    set, so a list in another order is the same policy to both."""
    pid, doc = _doc(org, "protect-security-services")
    (stmt,) = [s for s in doc["Statement"] if isinstance(s.get("Action"), list)][:1]
    stmt["Action"] = list(reversed(stmt["Action"]))
    org.organizations.update_policy(PolicyId=pid, Content=json.dumps(doc))
    assert json.loads(discover(org).policies[(SCP, "protect-security-services")].content) == doc
    changes = build_plan(spec, discover(org)).changes
    assert [c.describe() for c in changes if c.kind == "policy"] == []
    assert _codes(spec, rendered, org) == []


@pytest.mark.slow
def test_edited_description_is_a_warning_not_a_failure(org, spec, rendered, capsys):
    pid, _ = _doc(org, "deny-leave-organization")
    org.organizations.update_policy(PolicyId=pid, Description="edited by hand")
    assert _codes(spec, rendered, org) == [("DRIFT_POLICY_DESCRIPTION",
                                            "deny-leave-organization")]
    assert main(["drift", "--endpoint-url", org.endpoint_url]) == 0


@pytest.mark.slow
def test_policy_made_by_hand_is_unmanaged_once_with_its_targets(org, spec, rendered):
    inv = discover(org)
    created = org.organizations.create_policy(
        Name="hand-made", Type=SCP, Description="",
        Content=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Deny", "Action": "s3:*", "Resource": "*"}]}))
    org.organizations.attach_policy(PolicyId=created["Policy"]["PolicySummary"]["Id"],
                                    TargetId=inv.ous["AI"].id)
    found = drift(Bundle.of(spec, rendered), discover(org))
    assert [(f.code, f.location["key"]) for f in found] == [("DRIFT_POLICY_UNMANAGED",
                                                             "hand-made")]
    assert "AI" in found[0].message


@pytest.mark.slow
def test_deleted_policy_is_missing(org, spec, rendered):
    pid, _ = _doc(org, "model-approval-gate")
    org.organizations.detach_policy(PolicyId=pid, TargetId=discover(org).ous["AI"].id)
    org.organizations.delete_policy(PolicyId=pid)
    assert _codes(spec, rendered, org) == [("DRIFT_ATTACHMENT_MISSING", "AI"),
                                           ("DRIFT_POLICY_MISSING", "model-approval-gate")]


@pytest.mark.slow
def test_detached_policy_is_a_missing_attachment(org, spec, rendered):
    inv = discover(org)
    pid, _ = _doc(org, "bedrock-require-guardrail")
    org.organizations.detach_policy(PolicyId=pid, TargetId=inv.ous["AI/Production"].id)
    assert _codes(spec, rendered, org) == [("DRIFT_ATTACHMENT_MISSING", "AI/Production")]


@pytest.mark.slow
def test_policy_attached_by_hand_is_an_unmanaged_attachment(org, spec, rendered):
    inv = discover(org)
    pid, _ = _doc(org, "sagemaker-instance-types-prod")
    org.organizations.attach_policy(PolicyId=pid, TargetId=inv.ous["Sandbox"].id)
    assert _codes(spec, rendered, org) == [("DRIFT_ATTACHMENT_UNMANAGED", "Sandbox")]


@pytest.mark.slow
def test_full_aws_access_detached_by_hand_is_a_missing_attachment(org, spec, rendered):
    inv = discover(org)
    full = inv.policies[(SCP, "FullAWSAccess")]
    org.organizations.detach_policy(PolicyId=full.id, TargetId=inv.ous["Sandbox"].id)
    assert _codes(spec, rendered, org) == [("DRIFT_ATTACHMENT_MISSING", "Sandbox")]


@pytest.mark.slow
def test_disabled_policy_type_is_one_finding(org, spec, rendered):
    inv = discover(org)
    rcp = "RESOURCE_CONTROL_POLICY"
    pid = inv.policies[(rcp, "data-perimeter")].id
    org.organizations.detach_policy(PolicyId=pid, TargetId=inv.root_id)
    org.organizations.disable_policy_type(RootId=inv.root_id, PolicyType=rcp)
    assert _codes(spec, rendered, org) == [("DRIFT_POLICY_TYPE_DISABLED", rcp)]


@pytest.mark.slow
def test_drift_makes_read_calls_only(tmp_path, spec, rendered):
    emu = Emulator(state_dir=tmp_path)
    try:
        c = clients(emu.url).writable()
        apply_plan(c, build_plan(spec, discover(c)))
        start = line_count(tmp_path)
        calls.reset()
        assert main(["drift", "--endpoint-url", emu.url]) == 0
        assert writes(tmp_path, start) == []  # the emulator served no write
    finally:
        emu.stop()
    sent = {op.partition(".")[2] for op in calls.counts()}
    assert "ListPolicies" in sent and not sent & write_operations()


@pytest.mark.slow
def test_cli_exits_1_naming_each_change_as_json(org, capsys):
    inv = discover(org)
    org.organizations.create_organizational_unit(ParentId=inv.root_id, Name="Shadow")
    assert main(["drift", "--json", "--endpoint-url", org.endpoint_url]) == 1
    out = json.loads(capsys.readouterr().out)
    assert [(f["code"], f["severity"], f["location"]["key"]) for f in out] == [
        ("DRIFT_OU_UNMANAGED", "error", "Shadow")]


@pytest.mark.slow
def test_cli_exits_0_when_clean(org, capsys):
    assert main(["drift", "--endpoint-url", org.endpoint_url]) == 0


def test_cli_bad_spec_exits_2(emulator, capsys):
    bad = FIXTURES / "spec" / "duplicate_ou.yaml"
    assert main(["drift", "--spec", str(bad), "--endpoint-url", emulator.url]) == 2
    assert "SPEC_DUPLICATE_OU" in capsys.readouterr().err


@pytest.mark.slow
def test_cli_unreachable_endpoint_exits_2(capsys):
    assert main(["drift", "--endpoint-url", "http://127.0.0.1:9"]) == 2


@pytest.mark.parametrize(("a", "b"), [
    ({"Statement": {"Effect": "Deny", "Action": "s3:*", "Resource": "*"}},
     {"Statement": [{"Resource": ["*"], "Action": ["s3:*"], "Effect": "Deny"}]}),
    ({"Statement": [{"Sid": "A", "Effect": "Deny"}, {"Sid": "B", "Effect": "Deny"}]},
     {"Statement": [{"Sid": "B", "Effect": "Deny"}, {"Sid": "A", "Effect": "Deny"}]}),
    ({"Condition": {"NumericGreaterThan": {"sagemaker:MaxRuntimeInSeconds": 86400}}},
     {"Condition": {"NumericGreaterThan": {"sagemaker:MaxRuntimeInSeconds": "86400"}}}),
    ({"Condition": {"Bool": {"aws:SecureTransport": False}}},
     {"Condition": {"Bool": {"aws:SecureTransport": ["false"]}}}),
    ({"Action": ["a", "b", "a"]}, {"Action": ["b", "a"]}),
])
def test_equivalent_documents_normalize_equal(a, b):
    assert normalize_document(a) == normalize_document(b)
    assert same_policy(json.dumps(a), json.dumps(b, indent=2))


@pytest.mark.parametrize(("a", "b"), [
    ({"Effect": "Deny", "Action": "s3:*"}, {"Effect": "Allow", "Action": "s3:*"}),
    ({"Action": ["a", "b"]}, {"Action": ["a"]}),
    ({"Action": "a"}, {"NotAction": "a"}),
    ({"Statement": [{"Sid": "A"}, {"Sid": "B"}]}, {"Statement": [{"Sid": "A"}]}),
])
def test_different_documents_do_not_normalize_equal(a, b):
    assert not same_policy(json.dumps(a), json.dumps(b))
