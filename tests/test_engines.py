"""Engine choice and the plan/gate/apply flow, through ``aigov plan`` / ``aigov apply``
against a real moto server (the pulumi engine only as far as it goes without the CLI)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aigov.cli import main
from aigov.deploy.engines import ENGINES, resolve_engine
from aigov.deploy.flow import apply_deploy, gate_deploy, plan_deploy
from aigov.deploy.request import DeployRequest
from aigov.errors import ChecksFailed, UsageError
from aigov.org.discover import discover
from aigov.spec import load_spec
from aigov.target.clients import clients
from aigov.target.emulator import Emulator
from helpers import specs
from helpers.specs import account, policy, spec_data

SCP = "SERVICE_CONTROL_POLICY"
ALLOW = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["sagemaker:*", "s3:*"], "Resource": "*"}]}
DENY_ALL = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Deny", "Action": "*", "Resource": "*"}]}


def write_spec(folder: Path, root_doc: dict | None = None) -> Path:
    """One OU with an allow-list, one account, and (optionally) a policy at Root."""
    files = {"allow.json": ALLOW}
    policies = [policy("allow-ai", "allow.json", ["AI"])]
    if root_doc is not None:
        files["root.json"] = root_doc
        policies.append(policy("at-root", "root.json", ["Root"]))
    cases = {"cases": [
        {"name": "sagemaker allowed", "target": "dev", "action": "sagemaker:CreateModel",
         "resource": "*", "context": {"aws:RequestedRegion": "us-east-1"},
         "expect": "allow" if root_doc is None else "deny"}]}
    return specs.write_spec(folder, spec_data(
        ous=[{"name": "AI"}], accounts=[account("dev", "AI")], policies=policies),
        files=files, cases=cases)


@pytest.fixture
def url(emulator: Emulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path / "no-pulumi-here"))
    return emulator.url


def test_registry_holds_direct_and_pulumi() -> None:
    assert {"direct", "pulumi"} <= set(ENGINES)


def test_auto_is_direct_without_the_cli_and_pulumi_with_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    assert resolve_engine("auto") == "direct"
    exe = tmp_path / "pulumi"
    exe.write_text("#!/bin/sh\nexit 0\n")
    exe.chmod(0o755)
    assert resolve_engine("auto") == "pulumi"
    assert resolve_engine("direct") == "direct"
    with pytest.raises(UsageError):
        resolve_engine("terraform")


@pytest.mark.slow
def test_apply_deploys_and_a_second_plan_is_empty(url: str, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture) -> None:
    spec = str(write_spec(tmp_path))
    assert main(["apply", "--spec", spec, "--endpoint-url", url, "--engine", "auto"]) == 0
    inv = discover(clients(url))
    assert (SCP, "allow-ai") in inv.policies
    capsys.readouterr()
    assert main(["plan", "--spec", spec, "--endpoint-url", url, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["engine"] == "direct" and out["engine_requested"] == "auto"
    assert out["changes"] == [] and out["changes_planned"] == 0


def test_a_refused_apply_exits_1_and_changes_nothing(url: str, tmp_path: Path) -> None:
    spec = str(write_spec(tmp_path, root_doc=DENY_ALL))
    assert main(["apply", "--spec", spec, "--endpoint-url", url, "--engine", "direct"]) == 1
    assert not discover(clients(url)).exists


def test_pulumi_engine_without_the_cli_exits_2_and_changes_nothing(url: str,
                                                                   tmp_path: Path) -> None:
    spec = str(write_spec(tmp_path))
    assert main(["apply", "--spec", spec, "--endpoint-url", url, "--engine", "pulumi"]) == 2
    assert main(["plan", "--spec", spec, "--endpoint-url", url, "--engine", "pulumi"]) == 2
    assert not discover(clients(url)).exists


def test_plan_offline_prints_the_pulumi_graph_without_the_cli(
        url: str, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    spec = str(write_spec(tmp_path))
    assert main(["plan", "--spec", spec, "--engine", "pulumi", "--offline", "--json"]) == 0
    names = {n["name"] for n in json.loads(capsys.readouterr().out)}
    assert names == {"organization", "ou:AI", "account:dev", "policy:allow-ai",
                     "attach:allow-ai->AI"}


@pytest.mark.slow
def test_plan_offline_with_an_endpoint_shows_import_ids(
        url: str, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    spec = str(write_spec(tmp_path))
    assert main(["apply", "--spec", spec, "--endpoint-url", url, "--engine", "direct"]) == 0
    capsys.readouterr()
    assert main(["plan", "--spec", spec, "--engine", "pulumi", "--offline", "--json",
                 "--endpoint-url", url]) == 0
    nodes = {n["name"]: n for n in json.loads(capsys.readouterr().out)}
    inv = discover(clients(url))
    assert nodes["organization"]["import_id"] == inv.organization_id
    assert nodes["account:dev"]["import_id"] == inv.accounts["dev"].id
    assert all(n["import_id"] for n in nodes.values())


def test_offline_is_for_the_pulumi_graph_only(url: str, tmp_path: Path) -> None:
    spec = str(write_spec(tmp_path))
    assert main(["plan", "--spec", spec, "--engine", "direct", "--offline"]) == 2


def test_not_approved_shows_the_plan_and_applies_nothing(url: str, tmp_path: Path) -> None:
    req = DeployRequest(load_spec(write_spec(tmp_path)), clients(url), approve=False)
    planned = plan_deploy(req, "auto")
    verdict = gate_deploy(req, planned)
    assert verdict.ok, verdict.render()
    outcome = apply_deploy(req, planned, verdict)
    assert (outcome.status, outcome.changes_applied) == ("not approved", 0)
    assert outcome.summary()["engine"] == "direct"
    assert not discover(clients(url)).exists


def test_apply_deploy_never_runs_after_a_refusal(url: str, tmp_path: Path) -> None:
    req = DeployRequest(load_spec(write_spec(tmp_path, root_doc=DENY_ALL)), clients(url))
    planned = plan_deploy(req, "direct")
    verdict = gate_deploy(req, planned)
    assert "LOCKOUT_SENTINEL_DENIED" in verdict.codes()
    with pytest.raises(ChecksFailed) as err:
        apply_deploy(req, planned, verdict)
    assert err.value.exit_code == 1
    assert not discover(clients(url)).exists


@pytest.mark.slow
def test_the_direct_engine_applies_from_the_plans_inventory_without_discovering_again(
        url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """plan_deploy has just discovered the organization; discovering it again before the
    first change cost one call per OU and per policy."""
    import aigov.org.apply

    spec = str(write_spec(tmp_path))
    assert main(["apply", "--spec", spec, "--endpoint-url", url, "--engine", "direct"]) == 0
    (tmp_path / "allow.json").write_text(json.dumps(
        {**ALLOW, "Statement": [{**ALLOW["Statement"][0], "Action": ["sagemaker:*"]}]}))

    def no_discovery(*_: object, **__: object) -> None:
        raise AssertionError("apply_plan discovered the organization again")

    monkeypatch.setattr(aigov.org.apply, "discover", no_discovery)
    assert main(["apply", "--spec", spec, "--endpoint-url", url, "--engine", "direct"]) == 0
    doc = next(p for (t, n), p in discover(clients(url)).policies.items() if n == "allow-ai")
    assert json.loads(doc.content)["Statement"][0]["Action"] in (["sagemaker:*"], "sagemaker:*")
