"""Where a benchmark's figures come from: date, commit, machine, load, Python.

The benchmarks write their figures as JSON for the README's performance section, and a
figure means nothing without the commit it measured and the machine it ran on."""

from __future__ import annotations

import os
import platform
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def provenance() -> dict[str, str]:
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                            capture_output=True, text=True, check=False).stdout.strip()
    return {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "commit": commit or "unknown",
            "machine": f"{platform.machine()}, {os.cpu_count()} cores, load average "
                       f"{os.getloadavg()[0]:.2f}",
            "python": platform.python_version()}
