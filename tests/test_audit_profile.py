"""The read-only ``audit`` profile, as a scheduler runs it: ``aigov run --profile audit``.

One organization is built with the direct engine into the persisted emulator state of a
temporary outputs/ (what an earlier ``aigov run`` leaves there); the audit runs on it
clean, then again after hand-made changes. Each notebook's count of requests sent
(``aigov.target.calls``, in the manifest) and the emulator's state file, unchanged to the
byte, prove the audit sent no write call and changed nothing.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from aigov.cli import main
from aigov.org.apply import apply_plan
from aigov.org.discover import discover
from aigov.org.plan import build_plan
from aigov.runbook.record import MANIFEST, list_runs
from aigov.spec import load_spec
from aigov.target.clients import clients
from aigov.target.emulator import Emulator
from aigov.target.state import STATE_FILE, write_operations
from conftest import ROOT, run_cli
from helpers.recording import line_count, writes

pytestmark = pytest.mark.slow  # end-to-end: runs notebooks or the whole runbook

PLANTED = {"DRIFT_OU_UNMANAGED": 1, "DRIFT_POLICY_CHANGED": 1, "DRIFT_ACCOUNT_WRONG_OU": 1,
           "DRIFT_ATTACHMENT_MISSING": 1}


def _audit(outputs: Path, *args: str) -> tuple[subprocess.CompletedProcess, dict]:
    before = set(list_runs(outputs / "runs"))
    proc = run_cli("run", "--profile", "audit", *args, outputs=outputs)
    (new,) = set(list_runs(outputs / "runs")) - before
    return proc, json.loads((new / MANIFEST).read_text())


def _plant_drift(c) -> None:
    """An extra OU, an edited SCP, a moved account, a detached policy; and one SCP whose
    keys and values are only reordered (not drift)."""
    org = c.organizations
    inv = discover(c)
    org.create_organizational_unit(ParentId=inv.root_id, Name="Shadow-IT")
    edited = inv.policies[("SERVICE_CONTROL_POLICY", "deny-leave-organization")]
    doc = json.loads(edited.content)
    doc["Statement"][0]["Effect"] = "Allow"
    org.update_policy(PolicyId=edited.id, Content=json.dumps(doc))
    reordered = inv.policies[("SERVICE_CONTROL_POLICY", "protect-security-services")]
    doc = json.loads(reordered.content)
    doc = {"Statement": [dict(reversed(list(s.items()))) for s in reversed(doc["Statement"])],
           "Version": doc["Version"]}
    org.update_policy(PolicyId=reordered.id, Content=json.dumps(doc, indent=1))
    org.move_account(AccountId=inv.accounts["ai-dev"].id,
                     SourceParentId=inv.ous["AI/Development"].id,
                     DestinationParentId=inv.ous["Sandbox"].id)
    guard = inv.policies[("SERVICE_CONTROL_POLICY", "bedrock-require-guardrail")]
    org.detach_policy(PolicyId=guard.id, TargetId=inv.ous["AI/Production"].id)


@pytest.fixture(scope="module")
def audits(tmp_path_factory):
    outputs = tmp_path_factory.mktemp("outputs")
    state = outputs / "emulator"
    spec = load_spec()
    emu = Emulator(state_dir=state)
    try:
        c = clients(emu.url).writable()
        apply_plan(c, build_plan(spec, discover(c)))
    finally:
        emu.stop()
    marks = {"clean": (state / STATE_FILE).read_bytes()}
    clean = _audit(outputs)
    marks["clean_end"] = (state / STATE_FILE).read_bytes()
    emu = Emulator(state_dir=state)
    try:
        start = line_count(state)
        _plant_drift(clients(emu.url).writable())
        marks["planted"] = writes(state, start)  # the journal, before the stop compacts it
    finally:
        emu.stop()
    marks["drifted"] = (state / STATE_FILE).read_bytes()
    drifted = _audit(outputs)
    marks["drifted_end"] = (state / STATE_FILE).read_bytes()
    return outputs, marks, clean, drifted


def _sent(manifest: dict) -> set[str]:
    return {op.partition(".")[2] for nb in manifest["notebooks"]
            for op in nb.get("results", {}).get("api_calls_by_operation", {})}


def test_audit_of_an_organization_in_sync_exits_0(audits):
    _, _, (proc, manifest), _ = audits
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert manifest["status"] == "succeeded"
    assert [nb["name"] for nb in manifest["notebooks"]] == [
        "00_preflight", "03_policies", "04_simulate", "06_audit"]
    audit = manifest["notebooks"][-1]["results"]
    assert (audit["drift_findings"], audit["accounts"]) == (0, 5)
    assert manifest["parameters"]["read_only"] is True


def test_audit_sends_no_write_call(audits):
    _, m, (_, clean), (_, drifted) = audits
    assert {"ListPolicies", "DescribePolicy", "GetCallerIdentity"} <= _sent(clean)
    assert _sent(clean) & write_operations() == set()
    assert _sent(drifted) & write_operations() == set()
    assert m["clean_end"] == m["clean"] and m["drifted_end"] == m["drifted"]
    # The same journal does see the hand-made changes as writes.
    assert {"CreateOrganizationalUnit", "UpdatePolicy", "MoveAccount", "DetachPolicy"} <= set(
        m["planted"])


def test_audit_after_hand_made_changes_exits_1_naming_each(audits):
    _, _, _, (proc, manifest) = audits
    assert proc.returncode == 1, proc.stderr[-3000:]
    assert manifest["status"] == "failed"
    last = manifest["notebooks"][-1]
    assert (last["name"], last["status"], last["error_type"]) == ("06_audit", "failed",
                                                                 "ChecksFailed")
    # The reordered SCP is not among them.
    assert last["results"]["drift_codes"] == PLANTED


def test_drift_command_names_the_same_changes(audits, capsys):
    outputs, _, _, _ = audits
    copy = outputs.parent / "state-copy"
    shutil.copytree(outputs / "emulator", copy)
    emu = Emulator(state_dir=copy)
    try:
        assert main(["drift", "--json", "--endpoint-url", emu.url]) == 1
    finally:
        emu.stop()
    found = json.loads(capsys.readouterr().out)
    assert sorted((f["code"], f["location"]["key"]) for f in found) == [
        ("DRIFT_ACCOUNT_WRONG_OU", "account:ai-dev"),
        ("DRIFT_ATTACHMENT_MISSING", "AI/Production"),
        ("DRIFT_OU_UNMANAGED", "Shadow-IT"),
        ("DRIFT_POLICY_CHANGED", "deny-leave-organization")]


def test_audit_with_a_failed_policy_test_exits_1(audits, tmp_path):
    outputs, _, _, _ = audits
    org = tmp_path / "org"
    shutil.copytree(ROOT / "tests/fixtures/simulate/org", org)
    cases = org / "tests" / "cases.yaml"
    cases.write_text(cases.read_text().replace("expect: deny", "expect: allow", 1))
    proc, manifest = _audit(outputs, "-p", f"spec={org / 'organization.yaml'}")
    assert proc.returncode == 1
    failed = [nb for nb in manifest["notebooks"] if nb["status"] != "succeeded"]
    assert [(nb["name"], nb["results"]["policy_tests_failed"]) for nb in failed] == [
        ("04_simulate", 1)]


def test_audit_profile_lists_no_notebook_that_writes():
    profile = yaml.safe_load((ROOT / "notebooks/profiles/audit.yaml").read_text())
    assert profile["parameters"]["read_only"] is True
    assert profile["persist_emulator"] is True
    assert not {"01_organization", "02_organizational_units", "05_deploy"} & set(
        profile["notebooks"])
