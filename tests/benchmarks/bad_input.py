"""Time and peak memory of `aigov lint` on the hostile inputs of tests/test_bad_input.py.

Run: PYTHONPATH=lib:tests python tests/benchmarks/bad_input.py
Each case runs in its own process; prints seconds, peak RSS (MB) and the exit code.
"""

from __future__ import annotations

import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from test_bad_input import POLICY, SPECS, _write

CASES = ("spec_of_50_megabytes", "yaml_alias_bomb", "yaml_nested_thousands_deep",
         "spec_with_2016_ous", "policy_json_nested_thousands_deep", "policy_of_a_megabyte")


def main() -> None:
    for name, spec, policy, _code, _line in SPECS:
        if name not in CASES:
            continue
        with tempfile.TemporaryDirectory() as tmp:
            path = _write(Path(tmp), spec, policy or POLICY)
            t0 = time.monotonic()
            proc = subprocess.run([sys.executable, "-m", "aigov.cli", "lint", "--spec",
                                   str(path)], capture_output=True)
            took = time.monotonic() - t0
            rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
            print(f"{name:36s} {took:6.2f} s  peak RSS so far {rss:6.0f} MB  exit "
                  f"{proc.returncode}")


if __name__ == "__main__":
    main()
