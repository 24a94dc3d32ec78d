"""``aigov lint``: the spec's findings plus every policy's (checks/ adds the latter)."""

from __future__ import annotations

from pathlib import Path

from aigov.findings import Finding
from aigov.spec.load import validate_spec


def lint_spec(spec_path: str | Path | None = None) -> list[Finding]:
    """Every finding for the spec and the policies it references."""
    spec, found = validate_spec(spec_path)
    return found


def lint_policy_file(path: str | Path, policy_type: str) -> list[Finding]:
    raise NotImplementedError("lint --policy arrives with the policy checks")
