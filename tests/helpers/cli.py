"""The ``aigov`` command, run two ways.

``run_cli``: its own process, as a user runs it. For tests about the process itself: a
run record, signals, the environment a kernel inherits, what reaches the terminal. Each
start costs about 0.9 s of CPU before the command does anything.

``run_main``: ``aigov.cli.main`` in the test's process, stdout and stderr captured by
pytest's ``capsys``. For tests about a command's exit code and what it prints: the same
argument parsing, error edge and rendering, without the start-up.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


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


@dataclass(frozen=True)
class Ran:
    """What ``run_main`` saw: the fields of a ``subprocess.CompletedProcess`` it stands
    in for."""

    returncode: int
    stdout: str
    stderr: str


def run_main(capsys: pytest.CaptureFixture[str], *args: str) -> Ran:
    """``aigov ARGS`` through ``aigov.cli.main`` in this process. argparse's own exit
    (``--help``, a usage error) is its exit code, as it would be for the process."""
    from aigov.cli import main

    capsys.readouterr()  # what the test printed before is not the command's
    try:
        code = main(list(args))
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 2
    out, err = capsys.readouterr()
    return Ran(code, out, err)
