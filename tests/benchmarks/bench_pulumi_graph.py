"""Build time of the Pulumi program's resource graph under Pulumi's mocks.

Prints figures, asserts nothing (no timed tests): the starter spec and the synthetic
spec of 200 OUs and 1,000 accounts from tests/test_program.py.

    .venv/bin/python tests/benchmarks/bench_pulumi_graph.py
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aigov.deploy.graph import resource_graph  # noqa: E402
from aigov.policy.render import render_spec  # noqa: E402
from aigov.spec import load_spec  # noqa: E402
from test_program import synthetic_spec  # noqa: E402


def measure(label: str, spec, repeat: int) -> None:
    rendered = render_spec(spec)
    times, nodes = [], 0
    for _ in range(repeat):
        start = time.perf_counter()
        nodes = len(resource_graph(spec, rendered).nodes)
        times.append(time.perf_counter() - start)
    print(f"{label:<38} {nodes:>6} resources  median {statistics.median(times):7.3f} s  "
          f"min {min(times):7.3f} s  ({repeat} runs)")


def main() -> int:
    measure("starter spec", load_spec(), repeat=5)
    measure("synthetic: 200 OUs, 1,000 accounts", synthetic_spec(), repeat=3)
    return 0


if __name__ == "__main__":
    sys.exit(main())
