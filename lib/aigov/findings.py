"""Findings as data: every problem a check reports is a frozen ``Finding``.

Codes, severities, titles and fixes live in ``codes/*.yaml`` (one file per concern, so
each check family owns its codes), as parliament keeps its in ``config.yaml``; a check
only says ``finding("SPEC_UNKNOWN_KEY", ...)``. A code missing from the catalogue is a
programming error and raises at once (a test walks every check to make sure).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from typing import Any

from aigov.paths import packaged_yaml


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    SUGGESTION = "suggestion"


@dataclass(frozen=True)
class CodeInfo:
    code: str
    severity: Severity
    title: str
    why: str = ""
    fix: str = ""
    # Bad input (exit 2) rather than a problem a check found (exit 1): every spec code,
    # and any code marked ``input: true``.
    input: bool = False


@cache
def catalogue() -> dict[str, CodeInfo]:
    """Load every ``codes/*.yaml`` file into one mapping of code -> ``CodeInfo``.

    yaml and importlib.resources are imported here, on first use: a command that finds
    nothing (``aigov simulate --batch`` on well-formed policies) never loads them."""
    from importlib import resources

    out: dict[str, CodeInfo] = {}
    for entry in sorted(resources.files("aigov.codes").iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".yaml"):
            continue
        data = packaged_yaml("aigov.codes", entry.name) or {}
        for code, info in data.items():
            if code in out:
                raise ValueError(f"finding code {code} is defined twice (in {entry.name})")
            out[code] = CodeInfo(code=code, severity=Severity(info["severity"]),
                                 title=info["title"], why=info.get("why", ""),
                                 fix=info.get("fix", ""),
                                 input=bool(info.get("input", entry.name == "spec.yaml")))
    return out


@dataclass(frozen=True)
class Finding:
    """One problem, located. ``location`` keys: statement, element, line, column, key."""

    code: str
    severity: Severity
    message: str
    file: str = ""
    location: dict[str, Any] = field(default_factory=dict)
    fix: str = ""
    # The element path in the document (("Statement", 0, "Condition", op, key)), for
    # messages that name the element; not part of the JSON shape.
    path: tuple[Any, ...] = field(default=(), compare=False, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON shape of docs/contracts/lint-findings.md (``location`` keys only where they apply)."""
        d: dict[str, Any] = {"code": self.code, "severity": self.severity.value,
                             "file": self.file, "location": dict(self.location),
                             "message": self.message}
        if self.fix:
            d["fix"] = self.fix
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Finding:
        """The inverse of ``to_dict`` (findings kept in a file and read back)."""
        return cls(code=d["code"], severity=Severity(d["severity"]), message=d["message"],
                   file=d.get("file", ""), location=dict(d.get("location") or {}),
                   fix=d.get("fix", ""))

    def where(self) -> str:
        loc = self.location
        parts = [self.file] if self.file else []
        if "line" in loc:
            parts.append(str(loc["line"]))
            if "column" in loc:
                parts.append(str(loc["column"]))
        text = ":".join(parts)
        extra = []
        if "statement" in loc:
            extra.append(f"statement {loc['statement']}")
        if "element" in loc:
            extra.append(str(loc["element"]))
        if "key" in loc:
            extra.append(str(loc["key"]))
        if extra:
            text += f" ({', '.join(extra)})" if text else ", ".join(extra)
        return text

    def render(self) -> str:
        text = f"{self.where()}: {self.severity.value} {self.code}: {self.message}"
        if self.fix:
            text += f"\n  fix: {self.fix}"
        return text


def finding(code: str, message: str | None = None, *, file: str = "",
            fix: str | None = None, severity: Severity | str | None = None,
            path: tuple[Any, ...] = (), **location: Any) -> Finding:
    """Build a ``Finding`` for ``code``, taking severity and fix from the catalogue."""
    info = catalogue().get(code)
    if info is None:
        raise KeyError(f"finding code {code!r} is not in lib/aigov/codes/*.yaml")
    return Finding(code=code, severity=Severity(severity) if severity else info.severity,
                   message=message or info.title, file=file,
                   location={k: v for k, v in location.items() if v is not None},
                   fix=info.fix if fix is None else fix, path=path)


def has_errors(findings: Iterable[Finding]) -> bool:
    return any(f.severity is Severity.ERROR for f in findings)


def exit_code(findings: Iterable[Finding]) -> int:
    """The exit code (docs/contracts/exit-codes.md) for a list of findings: 2 bad input, 1 errors, else 0."""
    found = list(findings)
    if any(catalogue()[f.code].input and f.severity is Severity.ERROR for f in found):
        return 2
    return 1 if has_errors(found) else 0


def to_json(findings: Iterable[Finding]) -> str:
    return json.dumps([f.to_dict() for f in findings], indent=2)


def apply_overrides(findings: Iterable[Finding], overrides: dict[str, Any] | None) -> list[Finding]:
    """Apply a user's ``lint:`` overrides from the spec: ``severity: {CODE: level}`` and
    ``ignore: [{code: CODE, file: glob}]`` (parliament's ``--config`` idea)."""
    import fnmatch

    overrides = overrides or {}
    sev = overrides.get("severity", {}) or {}
    ignore = overrides.get("ignore", []) or []
    out = []
    for f in findings:
        if any(i.get("code") == f.code and fnmatch.fnmatch(f.file, i.get("file", "*"))
               for i in ignore):
            continue
        if f.code in sev:
            f = Finding(f.code, Severity(sev[f.code]), f.message, f.file, f.location, f.fix)
        out.append(f)
    return out
