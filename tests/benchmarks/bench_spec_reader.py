"""Seconds the strict spec reader and the commands that start with it take on big specs.

Prints figures, asserts nothing (the refusals themselves are tested in
tests/test_bad_input.py). Three specs:

- ``2016_flat``: the bad-input case of tests/test_bad_input.py, 2,016 OUs in one list
  (AWS's quota is 2,000): must be refused (exit 2) within a few seconds;
- ``2016_scaled``: tests/benchmarks/scale_spec.py's enterprise layout grown to 2,016 OUs
  and 1,000 accounts: refused the same way;
- ``1000_accounts``: the same layout at 200 OUs and 1,000 accounts, valid: read in full.

For each: the strict reader alone in this process (``aigov.inputs.compose_yaml``, best of
three), beside PyYAML's pure-Python composer on the same text (``pure``: what the reader
cost before it took libyaml's events), ``validate_spec`` (reader, model and every spec rule), and the wall time and exit
code of ``aigov lint`` and ``aigov plan`` as new processes (interpreter start and imports
included; plan of a refused spec stops before any AWS call, so it needs no endpoint).

    PYTHONPATH=lib:tests .venv/bin/python tests/benchmarks/bench_spec_reader.py
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml
from scale_spec import write_spec

from aigov.inputs import compose_yaml, read_text
from aigov.spec.load import validate_spec
from test_bad_input import POLICY, VALID, _ous, _write


def _best(fn: Callable[[], object], n: int = 3) -> float:
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def _cli(*args: str) -> tuple[float, int]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "aigov.cli", *args], capture_output=True,
                          env=env)
    return time.perf_counter() - t0, proc.returncode


def specs(tmp: Path) -> dict[str, Path]:
    flat = VALID.replace("  - name: AI\n    tags: {team: ml}\n", "  - name: AI\n"
                         + _ous(2015) + "\n")
    return {"2016_flat": _write(tmp / "flat", flat, POLICY),
            "2016_scaled": write_spec(tmp / "scaled", 2016, 1000),
            "1000_accounts": write_spec(tmp / "valid", 200, 1000)}


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        outputs = Path(tmp) / "outputs"
        os.environ["AIGOV_OUTPUTS"] = str(outputs)
        print(f"{'spec':14s} {'bytes':>8s} {'reader':>8s} {'pure':>7s} {'validate':>9s} "
              f"{'lint':>12s} {'plan':>12s}")
        for name, path in specs(Path(tmp)).items():
            text = read_text(path, "spec")
            reader = _best(lambda t=text, p=path: compose_yaml(t, str(p)))
            pure = _best(lambda t=text: yaml.compose(t, Loader=yaml.SafeLoader))
            valid = _best(lambda p=path: validate_spec(p), 1)
            lint_s, lint_rc = _cli("lint", "--spec", str(path))
            plan_s, plan_rc = (_cli("plan", "--spec", str(path)) if name.startswith("2016")
                               else (float("nan"), -1))
            print(f"{name:14s} {len(text.encode()):8,d} {reader:7.2f}s {pure:6.2f}s {valid:8.2f}s "
                  f"{lint_s:6.2f}s rc {lint_rc} {plan_s:6.2f}s rc {plan_rc}")


if __name__ == "__main__":
    main()
