"""`aigov import` end to end: the runbook adopts an imported organization and changes
nothing; a large organization is read with a call count linear in its size."""

from __future__ import annotations

import json
import subprocess
from collections import Counter

import pytest

from aigov.org.importer import import_organization
from aigov.runbook.record import MANIFEST, list_runs
from aigov.target.clients import clients
from conftest import ROOT, run_cli
from helpers.orgs import build_clean_org, build_large_org
from helpers.recording import line_count, writes

pytestmark = pytest.mark.slow


def _aigov(*args: str, outputs, cwd=ROOT) -> subprocess.CompletedProcess:
    return run_cli(*args, outputs=outputs, cwd=cwd, timeout=1200)


def test_import_then_run_adopts_everything_and_changes_nothing(tmp_path):
    from aigov.target.emulator import Emulator

    emu = Emulator(state_dir=tmp_path / "state")  # its journal keeps every write it serves
    try:
        build_clean_org(clients(emu.url).writable().organizations)
        out = tmp_path / "imported"
        start = line_count(tmp_path / "state")
        imported = _aigov("import", "--endpoint-url", emu.url, "--out", str(out),
                          outputs=tmp_path / "outputs")
        assert imported.returncode == 0, imported.stderr
        assert "lint: 0 finding(s)" in imported.stdout
        run = _aigov("run", "--endpoint-url", emu.url, "-p",
                     f"spec={out / 'organization.yaml'}", outputs=tmp_path / "outputs")
        assert run.returncode == 0, run.stderr[-3000:]
        assert writes(tmp_path / "state", start) == []  # neither import nor run wrote
        manifest = json.loads((list_runs(tmp_path / "outputs/runs")[0] / MANIFEST).read_text())
        assert manifest["status"] == "succeeded"
        results = {nb["name"]: nb.get("results", {}) for nb in manifest["notebooks"]}
        assert results["01_organization"]["changes_planned"] == 0
        assert results["02_organizational_units"]["changes_planned"] == 0
        assert results["04_simulate"]["policy_tests_failed"] == 0
        assert results["04_simulate"]["policy_tests_passed"] > 0
        assert results["05_deploy"]["changes_planned"] == 0
        assert results["06_audit"]["drift_findings"] == 0
    finally:
        emu.stop()


@pytest.mark.timeout(2400)  # building 1,000 accounts through moto's server takes minutes
def test_a_large_organization_is_read_with_calls_linear_in_its_size(emulator, tmp_path):
    """200 OUs, 1,000 accounts, 100 SCPs: list calls per parent and per page, never a
    call per account where a list call answers (no DescribeAccount)."""
    ous, accounts, policies = 200, 1000, 100
    c = clients(emulator.url).writable()
    build_large_org(c.organizations, ous, accounts, policies)
    calls: Counter[str] = Counter()
    for client in (c.organizations, c.sts):
        client.meta.events.register("before-call.*.*",
                                    lambda model, **_: calls.update([model.name]))
    report = import_organization(c, tmp_path / "big")
    assert report.imported == report.live
    parents, page = ous + 1, 20  # the root and every OU; moto's default page size
    members = accounts + 1  # and the management account
    assert "DescribeAccount" not in calls and "ListAccounts" not in calls
    assert calls["ListAccountsForParent"] <= parents + accounts // page
    assert calls["ListOrganizationalUnitsForParent"] <= parents + ous // page
    assert calls["DescribePolicy"] == policies + 1  # and FullAWSAccess
    assert calls["ListTargetsForPolicy"] <= (policies + 1) * 2
    assert calls["ListTagsForResource"] == 1 + ous + members + policies
    linear = 3 + 2 * parents + (ous + members) // page + 3 * (policies + 1) + \
        (1 + ous + members + policies)
    assert sum(calls.values()) <= linear, dict(calls)


def test_adopt_profile_imports_into_the_run_record_and_shows_it(tmp_path):
    from aigov.target.emulator import Emulator

    emu = Emulator()
    try:
        ids = build_clean_org(clients(emu.url).writable().organizations)
        run = _aigov("run", "--profile", "adopt", "--endpoint-url", emu.url,
                     outputs=tmp_path / "outputs")
        assert run.returncode == 0, run.stderr[-3000:]
        run_dir = list_runs(tmp_path / "outputs/runs")[0]
        manifest = json.loads((run_dir / MANIFEST).read_text())
        assert [nb["name"] for nb in manifest["notebooks"]] == ["00_preflight", "00b_import"]
        results = manifest["notebooks"][1]["results"]
        assert results["imported"] == results["live"]
        assert results["not_expressible"] == 0 and results["baseline_cases"] > 0
        spec = (run_dir / "import/organization.yaml").read_text()
        assert ids["a1"] in spec and "Maschinelles Lernen – 機械学習" in spec
        html = (run_dir / "00b_import.html").read_text()
        assert "kiosk allow-list" in html and "image/png" in html  # tables and the tree
    finally:
        emu.stop()
