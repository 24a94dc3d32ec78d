"""API calls and seconds of ``aigov import`` as an organization grows. Prints figures,
asserts nothing (the call-count bound is tested in tests/test_import_run.py).

Builds organizations in moto's server with boto3 (OUs in two levels, accounts spread
over them, one SCP per OU or account), imports each, and prints the calls by operation
and the seconds spent reading (discovery and tags) and writing (spec, policies,
baseline, lint). Goal: calls linear in OUs + accounts + policies, no call per account
where a list call answers.

    .venv/bin/python tests/benchmarks/bench_import.py [--sizes 20:100:10,200:1000:100]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aigov.org.importer import import_organization  # noqa: E402
from aigov.target.clients import clients  # noqa: E402
from aigov.target.emulator import Emulator  # noqa: E402
from helpers.orgs import build_large_org  # noqa: E402


def one(ous: int, accounts: int, policies: int) -> None:
    emu = Emulator()
    try:
        c = clients(emu.url)
        t0 = time.perf_counter()
        build_large_org(c.organizations, ous, accounts, policies)
        built = time.perf_counter() - t0
        calls: Counter[str] = Counter()
        for client in (c.organizations, c.sts):
            client.meta.events.register("before-call.*.*",
                                        lambda model, **_: calls.update([model.name]))
        t0 = time.perf_counter()
        with tempfile.TemporaryDirectory() as tmp:
            report = import_organization(c, Path(tmp) / "imp")
        took = time.perf_counter() - t0
        size = ous + accounts + policies
        print(f"{ous} OUs, {accounts} accounts, {policies} SCPs: built in {built:.1f} s; "
              f"import {took:.1f} s, {sum(calls.values())} calls "
              f"({sum(calls.values()) / size:.2f} per OU+account+policy), "
              f"{report.baseline_cases} baseline cases")
        for op, n in sorted(calls.items()):
            print(f"    {op:36s} {n}")
    finally:
        emu.stop()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="20:100:10,100:500:50,200:1000:100",
                   help="OUs:accounts:policies, comma-separated")
    for size in p.parse_args().sizes.split(","):
        one(*(int(x) for x in size.split(":")))


if __name__ == "__main__":
    main()
