"""The Automation API driver's set-up, checked without the Pulumi CLI (it cannot be
installed here): the stack configuration for both targets, the backend, the secrets
provider and passphrase handling, and the refusal when the CLI is missing."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from aigov.deploy import pulumi_driver as drv
from aigov.errors import UsageError
from aigov.policy.render import render_spec
from aigov.spec import load_spec

URL = "http://127.0.0.1:45678"


@pytest.fixture(autouse=True)
def outputs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    out = tmp_path / "outputs"
    monkeypatch.setenv("AIGOV_OUTPUTS", str(out))
    for name in ("PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE",
                 "PULUMI_CONFIG_PASSPHRASE_FILE", drv.SECRETS_PROVIDER_ENV):
        monkeypatch.delenv(name, raising=False)
    return out


def test_emulator_stack_points_organizations_sts_and_iam_at_the_emulator() -> None:
    config = drv.stack_config("emulator", URL, "us-east-1")
    assert config == {
        "aws:region": "us-east-1",
        "aws:endpoints[0].organizations": URL,
        "aws:endpoints[0].sts": URL,
        "aws:endpoints[0].iam": URL,
        "aws:skipCredentialsValidation": "true",
        "aws:skipRequestingAccountId": "true",
        "aws:skipMetadataApiCheck": "true",
    }


def test_aws_stack_sets_the_region_only() -> None:
    assert drv.stack_config("aws", None, "eu-west-1") == {"aws:region": "eu-west-1"}


def test_emulator_stack_without_an_endpoint_is_a_usage_error() -> None:
    with pytest.raises(UsageError) as err:
        drv.stack_config("emulator", None, "us-east-1")
    assert err.value.exit_code == 2


def test_one_stack_per_target_and_management_account() -> None:
    """Two organizations (two management accounts) never share a stack's state."""
    assert drv.stack_name("aws", "111122223333") == "aws-111122223333"
    assert drv.stack_name("emulator", "123456789012") == "emulator-123456789012"
    assert drv.stack_name("aws", "111122223333") != drv.stack_name("aws", "444455556666")
    with pytest.raises(UsageError):
        drv.stack_name("staging", "111122223333")
    with pytest.raises(UsageError):
        drv.stack_name("aws", None)


def test_backend_is_a_file_backend_under_outputs_pulumi(outputs: Path) -> None:
    assert drv.backend_url() == (outputs / "pulumi" / "state").as_uri()
    opts = drv.workspace_options("emulator")
    assert opts.project_settings.backend.url == (outputs / "pulumi" / "state").as_uri()
    assert opts.project_settings.name == "aigov"
    assert opts.secrets_provider == "passphrase"
    assert Path(opts.work_dir) == outputs / "pulumi" / "work"


def test_pulumi_backend_url_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PULUMI_BACKEND_URL", "s3://team-bucket/pulumi")
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE_FILE", "/secure/team-passphrase")
    opts = drv.workspace_options("aws")
    assert opts.project_settings.backend.url == "s3://team-bucket/pulumi"


def test_a_remote_backend_without_the_users_passphrase_is_refused_and_nothing_generated(
        outputs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The state outlives outputs/: a passphrase generated there could become the only,
    lost, key to it. The error names what to set."""
    monkeypatch.setenv("PULUMI_BACKEND_URL", "s3://team-bucket/pulumi")
    with pytest.raises(UsageError) as err:
        drv.workspace_options("aws")
    assert err.value.exit_code == 2
    assert "PULUMI_CONFIG_PASSPHRASE_FILE" in str(err.value.fix)
    assert drv.SECRETS_PROVIDER_ENV in str(err.value.fix)
    assert not (outputs / "pulumi" / "passphrase").exists()


def test_a_remote_backend_with_the_users_secrets_provider_uses_it(
        outputs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PULUMI_BACKEND_URL", "s3://team-bucket/pulumi")
    monkeypatch.setenv(drv.SECRETS_PROVIDER_ENV, "awskms://alias/pulumi")
    opts = drv.workspace_options("aws")
    assert opts.secrets_provider == "awskms://alias/pulumi"
    assert "PULUMI_CONFIG_PASSPHRASE_FILE" not in opts.env_vars
    assert not (outputs / "pulumi" / "passphrase").exists()


def test_generated_passphrase_is_a_private_file_under_outputs_and_is_reused(
        outputs: Path) -> None:
    env = drv.passphrase_env()
    path = Path(env["PULUMI_CONFIG_PASSPHRASE_FILE"])
    assert path == outputs / "pulumi" / "passphrase"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    secret = path.read_text()
    assert len(secret) >= 32
    assert drv.passphrase_env() == env and path.read_text() == secret
    # The passphrase itself is never in the environment handed to Pulumi.
    assert secret not in drv.workspace_env("emulator").values()


def test_passphrase_from_the_environment_is_used_and_nothing_is_written(
        outputs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "from-the-user")
    assert drv.passphrase_env() == {}
    assert not (outputs / "pulumi" / "passphrase").exists()


def test_dummy_credentials_go_to_the_emulator_stack_only() -> None:
    assert drv.workspace_env("emulator")["AWS_ACCESS_KEY_ID"] == "testing"
    assert "AWS_ACCESS_KEY_ID" not in drv.workspace_env("aws")


def test_without_the_cli_the_driver_refuses_in_one_line_saying_how_to_install(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    spec = load_spec()
    with pytest.raises(UsageError) as err:
        drv.PulumiDriver(spec, render_spec(spec), target="emulator", endpoint_url=URL,
                         account_id="123456789012")
    assert err.value.exit_code == 2
    assert "\n" not in err.value.render()
    assert "environment.yml" in err.value.message


def test_the_cli_is_found_on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    exe = tmp_path / "pulumi"
    exe.write_text("#!/bin/sh\nexit 0\n")
    exe.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    assert drv.pulumi_cli() == str(exe)


def test_pulumi_errors_carry_pulumis_own_message_and_exit_1() -> None:
    from pulumi.automation import CommandError, ConcurrentUpdateError
    from pulumi.automation._cmd import CommandResult

    locked = ConcurrentUpdateError(CommandResult(
        stdout="", stderr="error: the stack is currently locked by 1 lock(s)", code=255))
    err = drv._pulumi_error("up", locked)
    assert err.exit_code == 1
    assert "the stack is currently locked by 1 lock(s)" in err.message
    assert "pulumi cancel" in (err.fix or "")
    failed = drv._pulumi_error("preview", CommandError(CommandResult(
        stdout="", stderr="error: aws:organizations:Policy: DuplicatePolicyException", code=1)))
    assert "DuplicatePolicyException" in failed.message
    assert "pulumi cancel" not in (failed.fix or "")


def test_make_clean_keeps_the_pulumi_state_and_its_passphrase(tmp_path: Path) -> None:
    """`make clean` in a copy of the repository's Makefile: runs and Pulumi's work folder
    go, the state and the passphrase that opens it (maybe its only copy) stay."""
    import shutil
    import subprocess

    root = Path(__file__).resolve().parents[1]
    shutil.copy(root / "Makefile", tmp_path / "Makefile")
    (tmp_path / "pyproject.toml").write_text("")
    pulumi = tmp_path / "outputs" / "pulumi"
    for path in (pulumi / "passphrase", pulumi / "state" / ".pulumi" / "stack.json",
                 pulumi / "work" / "Pulumi.yaml", tmp_path / "outputs" / "runs" / "r" / "m"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x")
    subprocess.run(["make", "-s", "clean", f"VENV={tmp_path / 'venv'}"], cwd=tmp_path,
                   check=True, capture_output=True)
    assert (pulumi / "passphrase").exists() and (pulumi / "state" / ".pulumi").exists()
    assert not (pulumi / "work").exists() and not (tmp_path / "outputs" / "runs").exists()


def test_plain_cli_environment_opens_the_stack_aigov_apply_opens(outputs: Path) -> None:
    """`aigov pulumi-env`: on a fresh clone (no outputs/) the backend folder exists
    afterwards (so `pulumi login` works), and backend, passphrase file and stack name are
    the ones the driver's workspace uses; the passphrase itself is not printed."""
    env, config = drv.plain_cli_environment("aws", "111122223333", None, "eu-west-1")
    assert (outputs / "pulumi" / "state").is_dir()
    assert env["PULUMI_BACKEND_URL"] == drv.backend_url()
    opts = drv.workspace_options("aws")
    assert env["PULUMI_CONFIG_PASSPHRASE_FILE"] == opts.env_vars["PULUMI_CONFIG_PASSPHRASE_FILE"]
    assert env["AIGOV_PULUMI_STACK"] == drv.stack_name("aws", "111122223333")
    assert env["AIGOV_PULUMI_SECRETS_PROVIDER"] == opts.secrets_provider == "passphrase"
    secret = (outputs / "pulumi" / "passphrase").read_text()
    assert secret not in env.values()
    assert config == drv.stack_config("aws", None, "eu-west-1")


def test_readme_plain_cli_steps_use_aigov_pulumi_env_before_login() -> None:
    """The README's steps from a fresh clone: the environment (and the backend folder)
    come first, then login, then the stack aigov apply names."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    steps = readme.split("or use the plain CLI with `Pulumi.yaml`", 1)[1].split("```")[1]
    lines = [ln.split("#")[0].strip() for ln in steps.strip().splitlines()]
    assert lines[0] == 'eval "$(aigov pulumi-env)"'
    assert lines[1] == 'pulumi login "$PULUMI_BACKEND_URL"'
    assert lines[2].startswith('pulumi stack select --create "$AIGOV_PULUMI_STACK"')


def test_aigov_pulumi_env_prints_exports_for_the_emulators_stack(
        emulator, outputs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from aigov.cli import main

    assert main(["pulumi-env", "--endpoint-url", emulator.url]) == 0
    out = capsys.readouterr().out
    assert "export AIGOV_PULUMI_STACK=emulator-123456789012" in out
    assert f"'aws:endpoints[0].organizations' {emulator.url}" in out
