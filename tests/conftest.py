"""Shared fixtures: the emulator, isolated outputs. Helpers that are not fixtures live in
``tests/helpers/`` (docs/testing.md says which is where).

One moto server per test process (``moto_server``), reset before each test that asks for
``emulator``: moto keeps its backends in process globals, so a second server in the same
process would share them anyway, and starting and stopping a server costs about 0.7 s
of wall time (werkzeug's shutdown waits out its poll interval) where a reset costs a few
milliseconds. Under ``pytest-xdist`` each worker is its own process with its own server.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from aigov.target.emulator import Emulator
from helpers.cli import ROOT, run_cli  # noqa: F401 - re-exported for the test modules

FIXTURES = ROOT / "tests" / "fixtures"


def pytest_configure(config: pytest.Config) -> None:
    """Let Ctrl-C reach the processes the tests start. A shell without job control starts
    a background command (``make test &``, ``nohup ... &``) with SIGINT ignored, and an
    ignored signal stays ignored across fork and exec: every ``aigov`` a test starts
    would then ignore the SIGINT a Ctrl-C test sends it, and the test would wait out its
    timeout. A handled signal is reset to the default at exec, so handling it here gives
    the children Python's own Ctrl-C (KeyboardInterrupt)."""
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(scope="session")
def moto_server() -> Iterator[Emulator]:
    """This process's one strict moto server on a free 127.0.0.1 port. Tests take
    ``emulator`` (reset first); a module fixture that builds an organization once for
    several tests takes this and resets it itself."""
    emu = Emulator()
    try:
        yield emu
    finally:
        emu.stop()


@pytest.fixture
def emulator(moto_server: Emulator) -> Emulator:
    """An empty strict moto server on a free 127.0.0.1 port (the process's one, reset)."""
    moto_server.reset()
    return moto_server


@pytest.fixture(scope="session", autouse=True)
def _private_outputs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Every test process writes its outputs (error reports, run records, Pulumi work)
    under its own temporary folder unless a test says otherwise, never the checkout's
    ``outputs/``: parallel workers, and a developer's own runs, stay apart."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AIGOV_OUTPUTS", str(tmp_path_factory.mktemp("outputs")))
        yield


@pytest.fixture
def outputs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point outputs/ (run records, emulator state) at a temporary folder of this test."""
    out = tmp_path / "outputs"
    monkeypatch.setenv("AIGOV_OUTPUTS", str(out))
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    return out

