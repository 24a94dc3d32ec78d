"""Where a run may write: the target derived from the resolved endpoints, read-only
clients by construction, and the one write rule (docs/safety.md). Each scenario of
issue 11 that wrote to the organization is reproduced here and now changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from aigov.cli import main
from aigov.deploy.permission import may_write, writer
from aigov.errors import ReadOnlyError, TargetError
from aigov.org.discover import discover
from aigov.org.inventory import Inventory
from aigov.runbook.params import RunParams
from aigov.target.clients import clients
from aigov.target.emulator import Emulator
from aigov.target.endpoints import check_target, is_loopback
from conftest import ROOT
from helpers.recording import line_count

AWS_ORGS = "https://organizations.us-east-1.amazonaws.com"


@pytest.mark.parametrize("url, loopback", [
    ("http://127.0.0.1:5000", True), ("http://127.9.9.9", True), ("http://[::1]:80", True),
    ("http://localhost:1", True), (AWS_ORGS, False), ("http://10.0.0.1:5000", False),
    ("http://localhost.example.com", False), ("", False), (None, False)])
def test_only_loopback_endpoints_count_as_the_emulator(url, loopback) -> None:
    assert is_loopback(url) is loopback


def test_target_emulator_without_an_endpoint_is_refused_naming_where_it_would_go() -> None:
    with pytest.raises(TargetError) as err:
        check_target("emulator", None, {"organizations": AWS_ORGS})
    assert err.value.exit_code == 2 and AWS_ORGS in err.value.message


def test_target_emulator_with_one_service_elsewhere_is_refused() -> None:
    with pytest.raises(TargetError) as err:
        check_target("emulator", "http://127.0.0.1:1",
                     {"organizations": "http://127.0.0.1:1", "sts": "https://sts.amazonaws.com"})
    assert "sts at https://sts.amazonaws.com" in err.value.message


def test_target_aws_on_a_loopback_emulator_gets_the_aws_rules() -> None:
    target = check_target("aws", "http://127.0.0.1:1", {"organizations": "http://127.0.0.1:1"})
    assert target.kind == "aws" and target.derived == "emulator"


def test_per_service_endpoint_variables_decide_the_derived_target(monkeypatch) -> None:
    """botocore honours AWS_ENDPOINT_URL_<SERVICE>; so does the derivation."""
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL_ORGANIZATIONS", "http://127.0.0.1:9")
    c = clients(None)
    assert c.target.endpoints["organizations"] == "http://127.0.0.1:9"
    assert c.target.kind == "aws"  # sts still goes to AWS
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9")
    assert clients(None).target.kind == "emulator"
    with pytest.raises(TargetError):  # a run saying emulator must name its endpoint
        clients(None, target="emulator").organizations  # noqa: B018


def test_a_write_through_a_read_only_client_is_refused_and_never_sent(tmp_path: Path) -> None:
    emu = Emulator(state_dir=tmp_path)
    try:
        c = clients(emu.url)
        c.sts.get_caller_identity()
        before = line_count(tmp_path)
        with pytest.raises(ReadOnlyError) as err:
            c.organizations.create_organization(FeatureSet="ALL")
        assert "CreateOrganization" in err.value.message and err.value.exit_code == 2
        assert line_count(tmp_path) == before  # the journal: no write arrived
        assert not discover(c).exists
    finally:
        emu.stop()


def test_write_permission_on_aws_needs_profile_confirmation_and_management_account() -> None:
    inv = Inventory(organization_id="o-1", management_account_id="111111111111",
                    caller_account_id="222222222222")
    refused = may_write("aws", inv, allow_mutations=False, confirm=False)
    assert not refused.allowed
    assert {f.code for f in refused.findings} == {
        "DEPLOY_MUTATIONS_NOT_ALLOWED", "DEPLOY_NOT_CONFIRMED", "DEPLOY_NOT_MANAGEMENT_ACCOUNT"}
    mgmt = Inventory(organization_id="o-1", management_account_id="111111111111",
                     caller_account_id="111111111111")
    assert may_write("aws", mgmt, allow_mutations=True, confirm=True).allowed
    assert may_write("emulator", inv).allowed
    assert not may_write("emulator", inv, read_only=True).allowed
    with pytest.raises(ReadOnlyError):
        writer(clients("http://127.0.0.1:1"), refused)


def test_allow_mutations_defaults_to_false() -> None:
    assert RunParams().allow_mutations is False


def test_the_audit_profile_cannot_be_made_writable_with_p(outputs: Path, capsys) -> None:
    assert main(["run", "--profile", "audit", "-p", "read_only=false"]) == 2
    assert "read-only" in capsys.readouterr().err
    assert not (outputs / "runs").exists()


def test_allow_mutations_comes_from_the_profile_not_p(outputs: Path, capsys) -> None:
    assert main(["run", "-p", "allow_mutations=true"]) == 2
    assert "comes from the profile" in capsys.readouterr().err


def test_run_on_target_emulator_with_an_aws_endpoint_exits_2_before_any_call(
        outputs: Path, capsys) -> None:
    assert main(["run", "--endpoint-url", AWS_ORGS]) == 2
    assert "not loopback" in capsys.readouterr().err
    assert not (outputs / "runs").exists()


def _papermill(nb: str, out: Path, **parameters):
    import papermill as pm

    return pm.execute_notebook(str(ROOT / "notebooks" / f"{nb}.ipynb"), str(out),
                               parameters=parameters, cwd=str(ROOT), kernel_name="python3",
                               progress_bar=False)


@pytest.mark.slow
def test_a_notebook_run_alone_with_per_service_endpoints_creates_nothing(
        emulator, tmp_path: Path, monkeypatch) -> None:
    """Issue 11: papermill 01 without endpoint_url, moto behind AWS_ENDPOINT_URL_<SERVICE>,
    created an organization under the emulator's rules. Now the notebook stops at its
    first call with TargetError, and the emulator holds nothing."""
    import papermill as pm

    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL_ORGANIZATIONS", emulator.url)
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", emulator.url)
    with pytest.raises(pm.PapermillExecutionError) as err:
        _papermill("01_organization", tmp_path / "out.ipynb")
    assert err.value.ename == "TargetError"
    assert not discover(clients(emulator.url)).exists


@pytest.mark.slow
def test_target_aws_rehearsed_on_the_emulator_writes_nothing_without_the_profile(
        emulator, tmp_path: Path, monkeypatch) -> None:
    """target=aws on a loopback endpoint gets every AWS rule: allow_mutations is false
    by default, so 01 shows its plan and applies nothing."""
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    _papermill("01_organization", tmp_path / "out.ipynb", target="aws",
               endpoint_url=emulator.url, confirm=True)
    assert "allow_mutations" in (tmp_path / "out.ipynb").read_text()
    assert not discover(clients(emulator.url)).exists


@pytest.mark.slow
def test_a_read_only_context_creates_nothing_through_any_path(tmp_path: Path) -> None:
    """Issue 11: a context with read_only=True created an SCP on the emulator. Now the
    structure step and the deploy flow apply nothing, and a hand-made write from the
    context's clients is refused before it is sent (the emulator journal stays put)."""
    from aigov.deploy.flow import apply_deploy, gate_deploy, plan_deploy
    from aigov.runbook.adapters import request_from_context
    from aigov.runbook.notebook import Context
    from aigov.runbook.steps import apply_scope, scoped_plan

    emu = Emulator(state_dir=tmp_path)
    try:
        ctx = Context("05_deploy", RunParams(endpoint_url=emu.url, read_only=True))
        step = apply_scope(ctx, scoped_plan(ctx, "organization"))
        assert step.applied == 0 and "read-only" in step.skipped_reason
        req = request_from_context(ctx)
        planned = plan_deploy(req, "direct")
        assert apply_deploy(req, planned, gate_deploy(req, planned)).status == "not approved"
        before = line_count(tmp_path)
        with pytest.raises(ReadOnlyError):
            ctx.session().organizations.create_policy(
                Name="x", Type="SERVICE_CONTROL_POLICY", Description="", Content="{}")
        assert line_count(tmp_path) == before
        assert not discover(clients(emu.url)).exists
    finally:
        emu.stop()
