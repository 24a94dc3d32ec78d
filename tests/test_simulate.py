"""Simulation over the spec and ``aigov test-policies`` (docs/contracts/policy-tests.md)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from aigov.cli import main
from aigov.errors import SpecError
from aigov.paths import default_spec
from aigov.policy.simulate import OrgModel, load_cases, run_policy_tests
from aigov.spec import load_spec

FIXTURES = Path(__file__).parent / "fixtures" / "simulate"
ORG = FIXTURES / "org" / "organization.yaml"


@pytest.fixture(scope="module")
def model() -> OrgModel:
    return OrgModel(load_spec(ORG))


def test_ou_target_walks_root_down_to_the_ou(model: OrgModel) -> None:
    c = model.chain("Workloads/Dev")
    assert [lv.label for lv in c.levels] == ["Root", "Workloads", "Workloads/Dev"]
    assert [p.name for p in c.levels[0].policies] == ["FullAWSAccess", "deny-leave"]


def test_account_target_includes_its_own_level(model: OrgModel) -> None:
    c = model.chain("locked")
    assert [lv.label for lv in c.levels] == ["Root", "Restricted", "account:locked"]
    assert [p.name for p in c.levels[1].policies] == ["allow-s3-only"]


def test_rcp_chain_always_holds_rcp_full_aws_access(model: OrgModel) -> None:
    c = model.chain("dev-1", "RCP")
    assert all(lv.policies[0].name == "RCPFullAWSAccess" for lv in c.levels)


def test_detached_full_aws_access_leaves_only_the_allow_list(model: OrgModel) -> None:
    d = model.simulate("Restricted", "ec2:RunInstances")
    assert d.basis == "implicit-deny" and d.missing[1] == "Restricted"
    assert model.simulate("Restricted", "s3:ListAllMyBuckets",
                          context={"aws:PrincipalOrgID": "o-fixture"}).decision == "allow"


def test_management_account_by_id_is_exempt(model: OrgModel) -> None:
    d = model.simulate("999999999999", "organizations:LeaveOrganization")
    assert d.basis == "exempt"


def test_principal_of_an_account_target_is_in_that_account(model: OrgModel) -> None:
    req = model.request("dev-1", "s3:GetObject")
    assert req.principal == "arn:aws:iam::111122223333:role/Dev"
    assert req.account == "111122223333"
    assert model.request("locked", "s3:GetObject").account == "444455556666"


def test_policy_tests_pass_on_the_fixture_org() -> None:
    report = run_policy_tests(str(ORG))
    assert (report.passed, report.failed) == (5, 0)
    assert report.to_frame()["passed"].all()


def test_test_policies_passes_on_the_shipped_spec(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["test-policies", "--spec", str(default_spec())]) == 0
    assert " 0 failed" in capsys.readouterr().out


def test_flipped_expectation_fails_with_an_explanation(tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    org = tmp_path / "org"
    shutil.copytree(ORG.parent, org)
    cases = org / "tests" / "cases.yaml"
    cases.write_text(cases.read_text().replace("expect: deny", "expect: allow", 1))
    assert main(["test-policies", "--spec", str(org / "organization.yaml")]) == 1
    out = capsys.readouterr().out
    assert "FAIL cases.yaml:2 members cannot leave" in out
    # The explanation names the policy, the statement's Sid and the level in a reader's
    # words (no "statement 0"), down to the statement's text.
    assert "denied by SCP 'deny-leave' (statement 'NoLeave') at Root" in out
    assert '"Sid": "NoLeave"' in out
    assert "4 passed, 1 failed" in out


def test_failed_case_becomes_a_finding_at_its_line(tmp_path: Path) -> None:
    org = tmp_path / "org"
    shutil.copytree(ORG.parent, org)
    cases = org / "tests" / "cases.yaml"
    cases.write_text(cases.read_text().replace("expect: deny", "expect: allow", 1))
    found = run_policy_tests(str(org / "organization.yaml")).findings()
    assert [(f.code, f.location["line"], f.location["key"]) for f in found] == [
        ("POLICY_TEST_FAILED", 2, "cases[0]")]


@pytest.mark.parametrize(("name", "message"), [
    ("bad_expect.yaml", "line 6, cases[1]"),
    ("unknown_key.yaml", "unknown key(s) expects"),
    ("not_a_list.yaml", "holds `cases:`"),
    ("number_context.yaml", "context maps keys to strings"),
])
def test_malformed_test_file_is_bad_input(name: str, message: str) -> None:
    with pytest.raises(SpecError) as info:
        load_cases(FIXTURES / "bad_cases" / name)
    assert info.value.exit_code == 2
    assert message in info.value.render()


def test_unknown_target_names_the_case(model: OrgModel) -> None:
    with pytest.raises(SpecError) as info:
        run_policy_tests(model=model, paths=[FIXTURES / "bad_cases" / "unknown_target.yaml"])
    assert "cases[0].target" in info.value.render()
    assert "unknown target 'Workloads/Prod'" in info.value.render()


def test_report_render_without_verbose_lists_only_failures_and_counts():
    from aigov.policy.simulate import TestReport

    passed = run_policy_tests().results
    report = TestReport(passed)
    assert report.render(verbose=False).splitlines() == [f"{len(passed)} passed, 0 failed"]
    assert len(report.render().splitlines()) == len(passed) + 1
