"""``aigov emulator --state``: a client that connects early never sees a half-built
organization, because the port is bound only once the replay of the recording is done."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import EndpointConnectionError

from aigov.target.emulator import EMULATOR_CREDENTIALS, Emulator, free_port

OUS = 40


def _org(url: str):
    return boto3.client("organizations", endpoint_url=url, region_name="us-east-1",
                        config=Config(retries={"total_max_attempts": 1}, connect_timeout=1),
                        **EMULATOR_CREDENTIALS)


@pytest.mark.slow
def test_a_client_connecting_during_the_replay_sees_the_whole_organization(tmp_path):
    emu = Emulator(state_dir=tmp_path)
    try:
        org = _org(emu.url)
        org.create_organization(FeatureSet="ALL")
        root = org.list_roots()["Roots"][0]["Id"]
        for i in range(OUS):
            org.create_organizational_unit(ParentId=root, Name=f"ou{i}")
    finally:
        emu.stop()
    port = free_port()
    started: list[Emulator] = []
    thread = threading.Thread(target=lambda: started.append(Emulator(port, tmp_path)))
    thread.start()
    seen: list[int] = []
    try:
        while thread.is_alive() or not seen:
            try:
                org = _org(f"http://127.0.0.1:{port}")
                root = org.list_roots()["Roots"][0]["Id"]
                pages = org.get_paginator("list_organizational_units_for_parent").paginate(
                    ParentId=root)
                seen.append(sum(len(p["OrganizationalUnits"]) for p in pages))
                break
            except EndpointConnectionError:
                continue
    finally:
        thread.join(timeout=120)
        for emu in started:
            emu.stop()
    assert seen == [OUS]


def _serve(tmp_path) -> tuple[subprocess.Popen, str]:
    """``aigov emulator`` as a new process; returns it and its URL once it serves."""
    env = {**os.environ, "AIGOV_OUTPUTS": str(tmp_path / "outputs")}
    proc = subprocess.Popen([sys.executable, "-m", "aigov.cli", "emulator", "--port", "0",
                             "--state", str(tmp_path / "state")], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    url = ""
    for line in proc.stdout:  # type: ignore[union-attr]
        url = url or next(iter(re.findall(r"http://127\.0\.0\.1:\d+", line)), "")
        if line.startswith("Ctrl-C stops it"):
            return proc, url
    raise AssertionError(f"the emulator never served: {proc.communicate()[1][-2000:]}")


@pytest.mark.slow
@pytest.mark.parametrize(("sig", "code"), [(signal.SIGTERM, 143), (signal.SIGHUP, 129),
                                           (signal.SIGINT, 130)],
                         ids=["SIGTERM", "SIGHUP", "SIGINT"])
def test_aigov_emulator_exits_128_plus_the_signal_and_stops_serving(tmp_path, sig, code):
    """systemd and Airflow stop a service with SIGTERM and read its exit code: 143 says
    it was stopped, not that it finished (docs/contracts/exit-codes.md)."""
    proc, url = _serve(tmp_path)
    try:
        _org(url).create_organization(FeatureSet="ALL")
        proc.send_signal(sig)
        assert proc.wait(timeout=60) == code
        err = proc.stderr.read()  # type: ignore[union-attr]
        assert "Traceback" not in err and "stopped" in err
        with pytest.raises(EndpointConnectionError):
            _org(url).describe_organization()
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=60)
