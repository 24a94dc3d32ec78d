"""Shared fixtures: a real moto server per test that needs one, and isolated outputs."""

from __future__ import annotations

from collections.abc import Iterator
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
