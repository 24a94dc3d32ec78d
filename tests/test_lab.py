"""``aigov lab`` as a translation layer: JupyterLab's command line and environment, the
session's copy of the notebook, and the CLI's call (the browser test runs it for real)."""

from __future__ import annotations

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
