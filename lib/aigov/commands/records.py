"""``aigov verify`` and ``aigov runs``: the run records of ``runbook.record``, rendered."""

from __future__ import annotations

import json

from aigov.errors import ChecksFailed
from aigov.runbook.record import list_runs, run_summary, runs_root
from aigov.runbook.verify import verify_records


def verify_command(run_dir: str | None, allowed_signers: str | None = None,
                   checkpoint: str | None = None) -> int:
    """``aigov verify``: exit 1 naming each problem; say what was and was not checked."""
    v = verify_records(run_dir, allowed_signers, checkpoint)
    for p in v.problems:
        print(p.render())
    if not v.runs:
        print(f"no run records under {runs_root()}")
    print("checked: " + "; ".join(v.checked))
    for what in v.unchecked:
        print(f"not checked: {what}")
    if v.problems:
        raise ChecksFailed(f"{len(v.problems)} problem(s) in {len(v.runs)} run record(s)")
    signed = f", {len(v.signed)} signed by an allowed signer" if allowed_signers else ""
    print(f"verified {len(v.runs)} run record(s): every hash and link matches{signed}")
    return 0


def runs_command(as_json: bool) -> int:
    """``aigov runs [--json]``: every run record, oldest first."""
    rows = [run_summary(p) for p in list_runs()]
    if as_json:
        print(json.dumps(rows, indent=2))
        return 0
    if not rows:
        print(f"no run records under {runs_root()}")
        return 0
    print(f"{'run':<40} {'profile':<10} {'status':<24} {'seconds':>8}  {'hashes':<8} headline")
    for r in rows:
        head = ", ".join(f"{k}={v}" for k, v in r["headline"].items())
        if r["failed"]:
            head = f"failed in {r['failed']}; " + head
        seconds = "" if r["duration_s"] is None else f"{r['duration_s']:.1f}"
        print(f"{r['run_id']:<40} {str(r['profile']):<10} {r['status']:<24} {seconds:>8}  "
              f"{'ok' if r['verified'] else 'CHANGED':<8} {head}")
    return 0
