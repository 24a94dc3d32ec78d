"""Where things live, resolved from the repository root.

papermill runs a kernel in the notebook's folder (or wherever ``cwd`` says) and nbval in
the folder pytest was started from; resolving every relative path from the repository
root makes both behave the same. ``AIGOV_ROOT`` overrides the guess (for a spec kept in
another repository).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any


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


def write_atomic(path: Path, data: str | bytes, *, fsync: bool = False,
                 per_process: bool = False) -> None:
    """Write ``data`` to ``<path>.tmp`` and rename it onto ``path``, so a reader (or a kill
    halfway) sees the old file or the whole new one, never a part. ``per_process`` puts
    the process id in the temporary name, for a file several processes may write at
    once; ``fsync`` flushes it to disk first, for state that must survive a power cut."""
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp" if per_process
                         else f"{path.name}.tmp")
    with tmp.open("wb") as out:
        out.write(data.encode("utf-8") if isinstance(data, str) else data)
        if fsync:
            out.flush()
            os.fsync(out.fileno())
    tmp.replace(path)


def packaged_yaml(package: str, name: str) -> Any:
    """The YAML file ``name`` shipped inside the package ``package`` (the finding codes,
    the policy quotas), decoded with libyaml's safe loader when PyYAML has it: about ten
    times faster than the pure-Python one (the finding codes: 6 ms, not 56), and these
    files come with aigov, so they need none of ``aigov.inputs``' limits. yaml is
    imported here, on first use: a command that reads none never loads it."""
    from importlib import resources

    import yaml

    text = resources.files(package).joinpath(name).read_text(encoding="utf-8")
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
