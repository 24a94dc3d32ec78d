"""The runbook at three sizes on the emulator: seconds and AWS API calls per notebook,
and lint seconds. Prints figures, asserts nothing (what each notebook does is tested in
tests/test_notebooks.py; the call counter in tests/test_api_calls.py).

Sizes: the starter spec, 50 OUs / 200 accounts and 200 OUs / 1,000 accounts, generated
by ``scale_spec.py`` (AWS's recommended OU layout around the starter spec). For each:
``aigov lint --spec`` (wall seconds, process start included), then ``aigov run -p
spec=...`` on its own emulator, twice (a first run: everything is created; a second run:
nothing to change), with the notebooks' ``duration_s`` and ``api_calls`` from each run's
manifest. Each run also reports its CPU seconds (user + system of the runner, its
emulator thread and every kernel it reaped): on a shared machine the wall clock measures
the neighbours too. The estimated AWS time is the
call count at the rate ``aigov.target.calls`` assumes (Organizations throttles; on AWS
the count, not the emulator's seconds, decides). Figures are also written as JSON.

    .venv/bin/python tests/benchmarks/bench_runbook.py [--sizes starter,50x200,200x1000]
        [--runs 2] [--out outputs/bench/runbook.json]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: the shared helpers
from scale_spec import write_spec  # noqa: E402

from aigov.paths import default_spec  # noqa: E402
from aigov.target.calls import AWS_REQUESTS_PER_SECOND, estimated_aws_seconds  # noqa: E402
from helpers.provenance import provenance  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
AIGOV = [sys.executable, "-m", "aigov.cli"]


def _spec(size: str, work: Path) -> Path:
    if size == "starter":
        return default_spec()
    ous, accounts = (int(x) for x in size.split("x"))
    return write_spec(work / f"spec-{size}", ous, accounts)


def lint_seconds(spec: Path) -> float:
    t0 = time.perf_counter()
    subprocess.run([*AIGOV, "lint", "--spec", str(spec)], cwd=ROOT, capture_output=True,
                   check=False, timeout=1800)
    return round(time.perf_counter() - t0, 2)


def _children_cpu() -> float:
    """CPU seconds of every finished child process, and of the children they reaped."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_once(spec: Path, outputs: Path) -> dict:
    env = {**os.environ, "AIGOV_OUTPUTS": str(outputs)}
    env.pop("AWS_ENDPOINT_URL", None)
    t0, cpu0 = time.perf_counter(), _children_cpu()
    proc = subprocess.run([*AIGOV, "run", "-p", f"spec={spec}"], cwd=ROOT, env=env,
                          capture_output=True, text=True, check=False, timeout=7200)
    wall = round(time.perf_counter() - t0, 1)
    cpu = round(_children_cpu() - cpu0, 1)
    manifests = sorted(outputs.glob("runs/*/manifest.json"))
    if not manifests:
        return {"wall_s": wall, "cpu_s": cpu, "exit": proc.returncode,
                "error": proc.stderr[-2000:], "notebooks": []}
    m = json.loads(manifests[-1].read_text())
    rows = [{"notebook": n["name"], "status": n["status"], "seconds": n.get("duration_s"),
             "api_calls": (n.get("results") or {}).get("api_calls")} for n in m["notebooks"]]
    size = sum(f.stat().st_size for f in manifests[-1].parent.rglob("*") if f.is_file())
    return {"wall_s": wall, "cpu_s": cpu, "exit": proc.returncode, "status": m["status"],
            "record_mb": round(size / 2**20, 1), "notebooks": rows}


def _print_run(label: str, run: dict) -> None:
    print(f"-- {label} run: {run['wall_s']:.1f} s wall, {run['cpu_s']:.1f} s CPU "
          f"(exit {run['exit']}, record {run.get('record_mb', '?')} MB)")
    print(f"{'notebook':<26} {'status':<10} {'seconds':>8} {'API calls':>10} "
          f"{'est. AWS s':>11}")
    total = 0
    for r in run["notebooks"]:
        calls = r["api_calls"] or 0
        total += calls
        print(f"{r['notebook']:<26} {r['status']:<10} {r['seconds'] or 0:>8.1f} "
              f"{calls:>10} {estimated_aws_seconds(calls):>11.1f}")
    print(f"{'total':<26} {'':<10} {'':>8} {total:>10} {estimated_aws_seconds(total):>11.1f}")
    if run.get("error"):
        print(run["error"])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="starter,50x200,200x1000")
    ap.add_argument("--runs", type=int, default=2, help="1: the first run only")
    ap.add_argument("--out", type=Path, default=ROOT / "outputs" / "bench" / "runbook.json")
    a = ap.parse_args()
    figures = {**provenance(), "assumed_aws_requests_per_second": AWS_REQUESTS_PER_SECOND, "sizes": {}}
    with tempfile.TemporaryDirectory(prefix="aigov-bench-runbook-") as tmp:
        work = Path(tmp)
        for size in a.sizes.split(","):
            spec = _spec(size, work)
            lint = lint_seconds(spec)
            figures["sizes"][size] = {"lint_s": lint}
            print(f"\n== {size}: lint {lint:.2f} s")
            for label in ("first", "second")[:a.runs]:
                run = run_once(spec, work / f"outputs-{size}")
                figures["sizes"][size][f"{label}_run"] = run
                _print_run(label, run)
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(figures, indent=2))
    print(f"\nassumed AWS rate: {AWS_REQUESTS_PER_SECOND:g} requests/s "
          f"(lib/aigov/target/calls.py); figures written to {a.out}")


if __name__ == "__main__":
    main()
