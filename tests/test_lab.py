"""``aigov lab`` as a translation layer: JupyterLab's command line and environment, the
session's copy of the notebook, and the CLI's call (the browser test runs it for real)."""

from __future__ import annotations

import gzip
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

from aigov import cli
from aigov.commands import session
from aigov.errors import UsageError
from aigov.runbook import lab
from conftest import ROOT


def test_session_copy_is_a_fresh_copy_of_the_onboarding_notebook(outputs):
    first = lab.session_copy(now=0)
    second = lab.session_copy(now=0)
    assert first.parent.parent == outputs / "onboarding"
    assert first != second
    assert nbformat.read(first, as_version=4) == nbformat.read(
        ROOT / "notebooks/onboarding.ipynb", as_version=4)


def test_lab_listens_on_loopback_and_passes_the_token_only_through_a_file(outputs,
                                                                          monkeypatch):
    monkeypatch.setenv("JUPYTER_TOKEN", "inherited")
    nb = lab.session_copy()
    launch = lab.lab_launch(nb, 8999, {"AWS_ENDPOINT_URL": "http://127.0.0.1:5000"},
                            "s3cr3t-token", Path("/tmp/tokenfile"), open_browser=False)
    assert "--ServerApp.ip=127.0.0.1" in launch.argv
    assert "--ServerApp.port=8999" in launch.argv
    assert not any("s3cr3t-token" in a for a in launch.argv)
    assert not any("token" in a.lower() or "password" in a.lower() for a in launch.argv)
    assert "JUPYTER_TOKEN" not in launch.env  # kernels inherit the server's environment
    assert not any("s3cr3t-token" in v for v in launch.env.values())
    assert launch.env["JUPYTER_TOKEN_FILE"] == "/tmp/tokenfile"
    assert launch.env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:5000"
    assert launch.env["AIGOV_ROOT"] == str(ROOT)
    assert launch.argv[-1].endswith("onboarding.ipynb")
    assert launch.url.startswith("http://127.0.0.1:8999/lab/tree/")
    assert launch.url.endswith("onboarding.ipynb?token=s3cr3t-token")


def test_lab_refuses_to_start_without_a_token(outputs):
    with pytest.raises(UsageError):
        lab.lab_launch(lab.session_copy(), 8999, {}, "", Path("/tmp/t"), open_browser=False)


def test_lab_serves_the_repository_when_the_copy_lives_under_it(tmp_path, monkeypatch):
    monkeypatch.setenv("AIGOV_OUTPUTS", str(ROOT / "outputs"))
    nb = lab.session_copy()
    try:
        launch = lab.lab_launch(nb, 8999, {}, "t", Path("/tmp/t"), open_browser=True)
        assert launch.root_dir == ROOT
        assert "--ServerApp.open_browser=True" in launch.argv
        assert launch.url.split("?")[0].endswith(
            f"/lab/tree/outputs/onboarding/{nb.parent.name}/onboarding.ipynb")
    finally:
        nb.unlink()
        nb.parent.rmdir()
        if not any(nb.parent.parent.iterdir()):
            nb.parent.parent.rmdir()


def test_cli_lab_passes_port_endpoint_and_browser_choice(monkeypatch):
    calls = []
    monkeypatch.setattr(session, "lab_command", lambda **kw: calls.append(kw) or 0)
    assert cli.main(["lab", "--port", "8123", "--endpoint-url", "http://127.0.0.1:1",
                     "--no-browser"]) == 0
    assert calls == [{"port": 8123, "endpoint_url": "http://127.0.0.1:1",
                      "open_browser": False}]


# -- hygiene: credentials kept from kernels, signals end the session cleanly ------------

REAL = {"AWS_ACCESS_KEY_ID": "AKIAZ7REALKEY0000001", "AWS_SECRET_ACCESS_KEY": "real/secret+k",
        "AWS_SESSION_TOKEN": "real-session-token", "AWS_PROFILE": "prod",
        "AWS_SHARED_CREDENTIALS_FILE": "/home/me/.aws/credentials",
        "AWS_WEB_IDENTITY_TOKEN_FILE": "/var/run/token", "AWS_ROLE_ARN": "arn:aws:iam::1:role/x"}


@pytest.mark.parametrize("endpoint", ["http://127.0.0.1:5000", "http://localhost:4566"])
def test_kernels_on_the_emulator_get_its_dummy_credentials_only(outputs, monkeypatch, endpoint):
    for k, v in REAL.items():
        monkeypatch.setenv(k, v)
    launch = lab.lab_launch(lab.session_copy(), 8999, {"AWS_ENDPOINT_URL": endpoint}, "t",
                            Path("/tmp/t"), open_browser=False)
    assert not any(v in launch.env.values() for v in REAL.values())
    assert "AWS_PROFILE" not in launch.env
    assert (launch.env["AWS_ACCESS_KEY_ID"], launch.env["AWS_SECRET_ACCESS_KEY"]) == \
        ("testing", "testing")
    assert launch.env["AWS_SHARED_CREDENTIALS_FILE"] == launch.env["AWS_CONFIG_FILE"] == \
        "/dev/null"
    assert launch.env["AWS_ENDPOINT_URL"] == endpoint


def test_kernels_keep_the_shells_credentials_for_a_real_endpoint(outputs, monkeypatch):
    monkeypatch.setenv("AWS_PROFILE", "prod")
    launch = lab.lab_launch(lab.session_copy(), 8999,
                            {"AWS_ENDPOINT_URL": "https://organizations.us-east-1.amazonaws.com"},
                            "t", Path("/tmp/t"), open_browser=False)
    assert launch.env["AWS_PROFILE"] == "prod"


def _descendants(pid: int) -> set[int]:
    out: set[int] = set()
    todo = [pid]
    while todo:
        p = todo.pop()
        for task in Path(f"/proc/{p}/task").glob("*"):
            try:
                kids = {int(c) for c in (task / "children").read_text().split()}
            except OSError:
                continue
            todo.extend(kids - out)
            out |= kids
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_sigterm_or_sighup_stops_jupyterlab_and_the_emulator_and_removes_the_token(
        tmp_path, sig):
    base = tmp_path
    (base / "tmp").mkdir()
    env = {k: v for k, v in os.environ.items() if k != "AWS_ENDPOINT_URL"}
    env.update(AIGOV_OUTPUTS=str(base / "outputs"), TMPDIR=str(base / "tmp"),
               JUPYTER_RUNTIME_DIR=str(base / "runtime"),
               JUPYTERLAB_WORKSPACES_DIR=str(base / "ws"),
               JUPYTERLAB_SETTINGS_DIR=str(base / "settings"),
               AIGOV_REDACT="planted-lab-secret-3141")
    proc = subprocess.Popen([sys.executable, "-m", "aigov.cli", "lab", "--no-browser"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env=env, cwd=base, start_new_session=True)
    try:
        url = None
        for line in proc.stdout:  # type: ignore[union-attr]
            if line.startswith("aigov lab: open "):
                url = line.removeprefix("aigov lab: open ").strip()
                break
        assert url, "aigov lab printed no URL"
        status = url.partition("/lab/")[0] + "/api/status?" + url.rpartition("?")[2]
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(status, timeout=5).close()
                break
            except OSError:
                time.sleep(0.5)
        children = _descendants(proc.pid)
        assert children and list((base / "tmp").glob("aigov-lab-token-*"))
        session = next((base / "outputs" / "onboarding").iterdir())
        (session / "saved.txt").write_text("planted-lab-secret-3141")  # as a cell would
        (session / "saved.gz").write_bytes(gzip.compress(b"planted-lab-secret-3141"))
        proc.send_signal(sig)
        assert proc.wait(timeout=90) == 128 + sig
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and any(_alive(p) for p in children):
        time.sleep(0.2)
    assert [p for p in children if _alive(p)] == []
    assert list((base / "tmp").glob("aigov-lab-token-*")) == []
    assert (session / "saved.txt").read_text() == "***REDACTED***"
    assert not (session / "saved.gz").exists()
