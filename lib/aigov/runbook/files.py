"""The files of a run record, listed without ever following a symbolic link.

A record holds regular files only. A symlink in a record would let ``aigov verify`` hash,
and the redactor rewrite, a file outside the run folder (``results/x.json -> ~/.aws/
credentials``); a FIFO would hang the hash. Both are *refused*: listed apart, never opened.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

MANIFEST = "manifest.json"
SIGNATURE = "manifest.json.sig"
# Written by the runner around the manifest, never listed in it.
SEALS = frozenset({MANIFEST, SIGNATURE, MANIFEST + ".tmp", SIGNATURE + ".tmp"})  # paths.write_atomic


@dataclass(frozen=True)
class Refused:
    file: str  # relative to the run folder, POSIX separators
    reason: str


def walk(run_dir: Path, *, skip_seals: bool = True) -> tuple[list[str], list[Refused]]:
    """Regular files under ``run_dir`` (relative, sorted) and the entries refused.

    ``os.walk`` with ``followlinks=False`` and ``lstat`` on every entry: a link is
    reported, never entered or opened.
    """
    files: list[str] = []
    refused: list[Refused] = []
    for top, dirs, names in os.walk(run_dir, followlinks=False):
        base = Path(top)
        for d in list(dirs):
            if (base / d).is_symlink():
                dirs.remove(d)
                refused.append(Refused(_rel(base / d, run_dir), "a symbolic link"))
        for name in names:
            path = base / name
            rel = _rel(path, run_dir)
            mode = path.lstat().st_mode
            if stat.S_ISLNK(mode):
                refused.append(Refused(rel, "a symbolic link"))
            elif not stat.S_ISREG(mode):
                refused.append(Refused(rel, "not a regular file"))
            elif not (skip_seals and top == str(run_dir) and name in SEALS):
                files.append(rel)
    return sorted(files), sorted(refused, key=lambda r: r.file)


def _rel(path: Path, run_dir: Path) -> str:
    return path.relative_to(run_dir).as_posix()


def unsafe_path(rel: str, run_dir: Path) -> str | None:
    """Why a path named in a manifest must not be opened, or None when it is safe.

    Refused: absolute paths, ``..`` anywhere, and anything that resolves (through a
    link in any component) outside ``run_dir``.
    """
    p = PurePosixPath(rel)
    if not rel or p.is_absolute() or "\\" in rel or Path(rel).is_absolute():
        return "an absolute or empty path"
    if ".." in p.parts:
        return "a path with '..'"
    here = run_dir
    for part in p.parts:
        here = here / part
        if here.is_symlink():
            return "a path through a symbolic link"
    if not here.resolve().is_relative_to(run_dir.resolve()):
        return "a path outside the run folder"
    return None
