"""``aigov verify``: the hash chain, and signatures and the checkpoint when asked for.

What each check proves is in docs/contracts/run-records.md; the command says which
checks ran, so "verified" never claims more than was checked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from aigov.errors import UsageError
from aigov.paths import resolve
from aigov.runbook.files import MANIFEST
from aigov.runbook.record import Problem, list_runs, sha256_file, verify_run
from aigov.runbook.signing import check_signature, checkpoint_path, read_checkpoint


@dataclass
class Verification:
    runs: list[Path]
    problems: list[Problem] = field(default_factory=list)
    signed: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)   # what was checked, in words
    unchecked: list[str] = field(default_factory=list)  # what was not, and what that leaves


def checkpoint_problems(runs: list[Path], checkpoint: dict) -> list[Problem]:
    """The chain must still hold the checkpointed head, unchanged."""
    head, digest = checkpoint["run_id"], checkpoint["manifest_sha256"]
    names = [p.name for p in runs]
    if head not in names:
        newest = names[-1] if names else "no run at all"
        return [Problem(head, MANIFEST, f"the checkpoint names this run as the chain's head, "
                        f"but it is gone: the chain ends at {newest} (runs were deleted)")]
    path = runs[names.index(head)] / MANIFEST
    if path.is_symlink() or sha256_file(path) != digest:
        return [Problem(head, MANIFEST, "differs from the manifest the checkpoint recorded "
                        "(re-sealed?)")]
    return []


def verify_records(run_dir: str | None = None, allowed_signers: str | None = None,
                   checkpoint: str | None = None) -> Verification:
    """Check one record (``run_dir``) or every record and the chain between them."""
    if run_dir:
        path = resolve(run_dir)
        if not (path / MANIFEST).is_file():
            raise UsageError(f"{path} is not a run record (no {MANIFEST})",
                             fix="give a folder under outputs/runs/, or no argument for all")
        every = list_runs(path.parent)
        earlier = [p for p in every if p.name < path.name]
        v = Verification([path])
        v.problems = verify_run(path, earlier[-1] if earlier else None)
    else:
        v = Verification(list_runs())
        for i, rd in enumerate(v.runs):
            v.problems.extend(verify_run(rd, v.runs[i - 1] if i else None))
        every = v.runs
    v.checked.append("the sha256 of every file and the link to the previous run")
    if allowed_signers:
        signers = resolve(allowed_signers)
        if not signers.is_file():
            raise UsageError(f"{signers} does not exist", location="--allowed-signers",
                             fix="give an OpenSSH allowed_signers file (man ssh-keygen)")
        for rd in v.runs:
            ok, what = check_signature(rd, signers)
            (v.signed.append(rd.name) if ok else
             v.problems.append(Problem(rd.name, MANIFEST, what)))
        v.checked.append(f"each manifest's signature against {signers}")
    else:
        v.unchecked.append("signatures (no --allowed-signers): anyone able to write every "
                           "file could have re-sealed the records")
    cp = checkpoint_path(checkpoint)
    if cp is not None:
        v.problems.extend(checkpoint_problems(every, read_checkpoint(cp)))
        v.checked.append(f"that the chain still reaches the head recorded in {cp}")
    else:
        v.unchecked.append("the chain's head (no --checkpoint): deleting the newest runs, or "
                           "all of them, goes unnoticed")
    return v
