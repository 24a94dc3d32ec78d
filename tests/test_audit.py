"""Notebook 06's audit (``aigov.org.audit``) of a real moto organization: effective SCPs
and RCPs per account, OUs and accounts no guardrail covers, the summary it records."""

from __future__ import annotations

import pytest

from aigov.org.apply import apply_plan
from aigov.org.audit import audit_report
from aigov.org.discover import discover
from aigov.org.plan import build_plan
from aigov.spec import load_spec
from aigov.target.clients import clients
from conftest import FIXTURES


@pytest.fixture
def report(emulator):
    spec = load_spec(FIXTURES / "audit" / "uncovered.yaml")
    c = clients(emulator.url).writable()
    apply_plan(c, build_plan(spec, discover(c)))
    return audit_report(spec, c)


def test_effective_policies_list_each_level_of_an_accounts_path(report):
    rows = [(r["level"], r["SCPs"], r["RCPs"]) for r in report.effective_rows()
            if r["account"] == "guarded-app"]
    assert rows == [("Root", "FullAWSAccess", "RCPFullAWSAccess"),
                    ("Guarded", "FullAWSAccess, deny-leave", "RCPFullAWSAccess, tls-only"),
                    ("account:guarded-app", "FullAWSAccess", "RCPFullAWSAccess")]


@pytest.mark.slow
def test_management_account_is_marked_exempt(report):
    rows = [r for r in report.effective_rows() if r["account"] == "master"]
    assert rows and all("exempt" in r["note"] for r in rows)


@pytest.mark.slow
def test_ous_and_accounts_without_a_custom_policy_on_their_path_are_uncovered(report):
    frame = report.uncovered_frame()
    assert list(zip(frame["target"], frame["not covered by"], strict=True)) == [
        ("Open", "SCP, RCP"), ("account:open-app", "SCP, RCP")]


@pytest.mark.slow
def test_summary_counts_drift_and_uncovered_targets(report):
    s = report.summary()
    assert (s["drift_findings"], s["uncovered_targets"], s["ous"], s["accounts"]) == (0, 2, 2, 3)
    assert report.drift_frame().empty and report.errors == []


@pytest.mark.slow
def test_summary_counts_drift_by_code(emulator):
    spec = load_spec(FIXTURES / "audit" / "uncovered.yaml")
    c = clients(emulator.url).writable()
    apply_plan(c, build_plan(spec, discover(c)))
    inv = discover(c)
    c.organizations.move_account(AccountId=inv.accounts["open-app"].id,
                                 SourceParentId=inv.ous["Open"].id,
                                 DestinationParentId=inv.ous["Guarded"].id)
    r = audit_report(spec, c)
    assert r.summary()["drift_codes"] == {"DRIFT_ACCOUNT_WRONG_OU": 1}
    assert [f.code for f in r.errors] == ["DRIFT_ACCOUNT_WRONG_OU"]
