"""Shared test helpers, in one place: a real moto server per test that needs one,
isolated outputs, and the ``aigov`` command run as a subprocess (``run_cli``).

Helper modules beside this one: ``recording.py`` (what the emulator was asked),
``orgs.py`` (organizations built by hand with boto3). A synthetic spec is built with
``aigov.spec`` models directly (see ``tests/benchmarks/bench_simulate.py``).
"""

from __future__ import annotations

import inspect
import os
import re
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from aigov.target.emulator import Emulator

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    """A fresh, empty moto server on a free 127.0.0.1 port."""
    emu = Emulator()
    try:
        yield emu
    finally:
        emu.stop()


@pytest.fixture
def outputs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point outputs/ (run records, emulator state) at a temporary folder."""
    out = tmp_path / "outputs"
    monkeypatch.setenv("AIGOV_OUTPUTS", str(out))
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    return out


def run_cli(*args: str, outputs: Path, cwd: Path = ROOT, timeout: float = 900,
            drop: Sequence[str] = ("AWS_ENDPOINT_URL",), **env: str,
            ) -> subprocess.CompletedProcess:
    """``python -m aigov.cli ARGS`` as a user runs it: its own process, the outputs in
    ``outputs``, the environment without ``drop`` (so a stray endpoint never leaks in)
    plus ``env``; stdout and stderr captured as text."""
    full = {k: v for k, v in os.environ.items() if k not in drop}
    full.update(AIGOV_OUTPUTS=str(outputs), **env)
    return subprocess.run([sys.executable, "-m", "aigov.cli", *args], cwd=cwd, env=full,
                          capture_output=True, text=True, timeout=timeout)


_STARTS_EMULATOR = re.compile(r"\b(?:running_emulator|Emulator)\(")


def _starts_emulator(item: pytest.Item) -> bool:
    """Does the test, or a fixture it uses, start a moto server? Each such test applies
    or discovers an organization over HTTP: end-to-end, seconds each."""
    if "emulator" in getattr(item, "fixturenames", ()):
        return True
    info = getattr(item, "_fixtureinfo", None)
    funcs = [getattr(item, "function", None)]
    if info is not None:
        funcs += [d.func for defs in info.name2fixturedefs.values() for d in defs]
    for func in funcs:
        try:
            if func is not None and _STARTS_EMULATOR.search(inspect.getsource(func)):
                return True
        except (OSError, TypeError):
            continue
    return False


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that start the emulator are ``slow`` (docs/style.md, rule 5): ``make
    test-fast`` is the loop without them, ``make test`` runs them."""
    for item in items:
        if _starts_emulator(item):
            item.add_marker(pytest.mark.slow)
