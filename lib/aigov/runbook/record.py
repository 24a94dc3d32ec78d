"""Run records: the executed notebooks, their HTML copies and a hash-chained manifest.

A record is ``outputs/runs/<UTC timestamp>-<profile>/`` with ``manifest.json``. The
manifest lists the sha256 of every input (spec, policy files, notebooks, profile) and of
every other file in the folder, and the sha256 of the previous run's manifest, so that
changing a byte of a record, or dropping a run from the middle, is detected by ``aigov
verify``. The manifest also carries ``manifest_sha256``, the hash of itself without that
key, so an edited manifest is caught even in the newest run.

That is all a hash chain proves: someone able to write every file can recompute every
hash (a re-seal), and deleting the newest runs leaves a shorter chain that still
verifies. Signatures and the checkpoint (signing.py) are what catch those; see
docs/contracts/run-records.md.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aigov.paths import outputs_dir, write_atomic
from aigov.runbook.files import MANIFEST, unsafe_path, walk

SELF_HASH = "manifest_sha256"


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 16), b""):
            h.update(block)
    return h.hexdigest()


def runs_root() -> Path:
    return outputs_dir() / "runs"


def list_runs(root: Path | None = None) -> list[Path]:
    """Run folders with a manifest, oldest first (names start with a UTC timestamp)."""
    root = root or runs_root()
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if (p / MANIFEST).is_file())


def _canonical(manifest: dict[str, Any]) -> bytes:
    body = {k: v for k, v in manifest.items() if k != SELF_HASH}
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def write_manifest(run_dir: Path, manifest: dict[str, Any]) -> Path:
    """Hash every file in ``run_dir`` into ``manifest["outputs"]`` and write it."""
    files, _ = walk(run_dir)  # links and special files are never hashed (nor listed)
    manifest["outputs"] = {rel: sha256_file(run_dir / rel) for rel in files}
    manifest[SELF_HASH] = hashlib.sha256(_canonical(manifest)).hexdigest()
    path = run_dir / MANIFEST
    # Never a half-written manifest.
    write_atomic(path, json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return path


def previous_link(run_dir: Path) -> dict[str, str] | None:
    """The run before ``run_dir`` and the sha256 of its manifest, for the chain."""
    earlier = [p for p in list_runs(run_dir.parent) if p.name < run_dir.name]
    if not earlier:
        return None
    prev = earlier[-1]
    return {"run_id": prev.name, "manifest_sha256": sha256_file(prev / MANIFEST)}


@dataclass(frozen=True)
class Problem:
    run: str
    file: str
    message: str

    def render(self) -> str:
        return f"{self.run}/{self.file}: {self.message}"


def verify_run(run_dir: Path, previous: Path | None = None) -> list[Problem]:
    """Recompute one record's hashes (and its link to ``previous`` when given).

    Only regular files inside the run folder are opened: a manifest path that is
    absolute, holds ``..`` or leads through a link is refused, and so is any symlink or
    special file in the folder (runbook/files.py).
    """
    run = run_dir.name
    if run_dir.is_symlink() or (run_dir / MANIFEST).is_symlink():
        return [Problem(run, MANIFEST, "refused: the record or its manifest is a symbolic "
                        "link")]
    try:
        manifest = json.loads((run_dir / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        return [Problem(run, MANIFEST, f"unreadable manifest: {exc}")]
    if not isinstance(manifest, dict):
        return [Problem(run, MANIFEST, "unreadable manifest: not a JSON object")]
    problems: list[Problem] = []
    if manifest.get(SELF_HASH) != hashlib.sha256(_canonical(manifest)).hexdigest():
        problems.append(Problem(run, MANIFEST, "the manifest was changed after it was written"))
    listed = manifest.get("outputs", {})
    if not isinstance(listed, dict):
        listed = {}
        problems.append(Problem(run, MANIFEST, "'outputs' is not a mapping of files"))
    files, refused = walk(run_dir)
    for r in refused:
        problems.append(Problem(run, r.file, f"refused: {r.reason} in a record"))
    refused_names = {r.file for r in refused}
    for rel, digest in sorted(listed.items()):
        why = unsafe_path(rel, run_dir)
        if why:
            if rel not in refused_names:
                problems.append(Problem(run, rel, f"refused: {why} in the manifest"))
        elif not (run_dir / rel).is_file():
            problems.append(Problem(run, rel, "listed in the manifest but missing"))
        elif sha256_file(run_dir / rel) != digest:
            problems.append(Problem(run, rel, "changed since the run (sha256 differs)"))
    for rel in sorted(set(files) - set(listed)):
        problems.append(Problem(run, rel, "not listed in the manifest (added afterwards)"))
    if previous is not None:
        problems.extend(_link_problems(run, manifest.get("previous"), previous))
    return problems


def _link_problems(run: str, link: Any, previous: Path) -> list[Problem]:
    if not isinstance(link, dict) or not link:
        return [Problem(run, MANIFEST, f"does not link to the previous run {previous.name}")]
    if link.get("run_id") != previous.name:
        return [Problem(run, MANIFEST, f"links to {link.get('run_id')}, but the run before "
                        f"it is {previous.name} (a run was removed?)")]
    if (previous / MANIFEST).is_symlink():
        return []  # reported as refused in the previous run's own check
    if sha256_file(previous / MANIFEST) != link.get("manifest_sha256"):
        return [Problem(previous.name, MANIFEST, "changed since the next run "
                        f"({run}) recorded its hash")]
    return []


def verify_all(root: Path | None = None) -> tuple[int, list[Problem]]:
    runs = list_runs(root)
    problems: list[Problem] = []
    for i, run_dir in enumerate(runs):
        problems.extend(verify_run(run_dir, runs[i - 1] if i else None))
    return len(runs), problems


def load_manifest(run_dir: Path) -> dict[str, Any]:
    return json.loads((run_dir / MANIFEST).read_text(encoding="utf-8"))


# -- aigov runs ------------------------------------------------------------------------
# Headline results summed over a run's notebooks (each notebook records its own; see
# runbook/notebook.py): what a scheduler or an auditor looks at first.
HEADLINES = ("changes_applied", "lint_errors", "policy_tests_passed", "policy_tests_failed",
             "drift_findings")


def run_summary(run_dir: Path) -> dict[str, Any]:
    """One record's line for ``aigov runs``: id, profile, status, duration, headline
    results, the notebook that failed, and whether its hashes still verify."""
    from aigov.runbook.report import REPORT, duration_s

    try:
        m = load_manifest(run_dir)
    except (OSError, json.JSONDecodeError):
        return {"run_id": run_dir.name, "profile": None, "status": "unreadable",
                "started": None, "duration_s": None, "headline": {}, "failed": None,
                "verified": False, "report": None}
    headline: dict[str, int] = {}
    for nb in m.get("notebooks", []):
        for key in HEADLINES:
            value = (nb.get("results") or {}).get(key)
            if isinstance(value, int) and not isinstance(value, bool):
                headline[key] = headline.get(key, 0) + value
    failed = next((nb["name"] for nb in m.get("notebooks", []) if nb.get("status") != "succeeded"),
                  None)
    status = m.get("status", "incomplete") + (" (interrupted)" if m.get("interrupted") else "")
    return {"run_id": m.get("run_id", run_dir.name), "profile": m.get("profile"),
            "status": status, "started": m.get("started"), "duration_s": duration_s(m),
            "headline": headline, "failed": failed,
            "verified": not verify_run(run_dir),
            "report": str(run_dir / REPORT) if (run_dir / REPORT).is_file() else None}
