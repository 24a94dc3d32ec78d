"""Where things live, resolved from the repository root.

papermill runs a kernel in the notebook's folder (or wherever ``cwd`` says) and nbval in
the folder pytest was started from; resolving every relative path from the repository
root makes both behave the same. ``AIGOV_ROOT`` overrides the guess (for a spec kept in
another repository).
"""

from __future__ import annotations

import os
from pathlib import Path


def repo_root() -> Path:
    """Return the project root: ``$AIGOV_ROOT``, else the nearest parent with ``policies/``."""
    env = os.environ.get("AIGOV_ROOT")
    if env:
        return Path(env).resolve()
    for start in (Path.cwd(), Path(__file__).resolve()):
        for candidate in (start, *start.parents):
            if (candidate / "policies" / "organization.yaml").is_file():
                return candidate
    return Path.cwd().resolve()


def resolve(path: str | os.PathLike[str]) -> Path:
    """Resolve ``path`` against the repository root unless it is absolute."""
    p = Path(path).expanduser()
    return p if p.is_absolute() else (repo_root() / p).resolve()


def default_spec() -> Path:
    return repo_root() / "policies" / "organization.yaml"


def outputs_dir() -> Path:
    return Path(os.environ.get("AIGOV_OUTPUTS") or (repo_root() / "outputs")).resolve()
