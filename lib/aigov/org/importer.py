"""``aigov import``: the live organization written out as a spec, policy files and a
behaviour baseline, ready for the runbook to adopt.

Only read calls are made (``discover`` and ``discover_tags``). Everything is written into
a fresh folder beside the destination first and moved into place at the end, so an
import that fails halfway leaves the destination as it was and a re-run starts clean.
The output is deterministic (no timestamps, sorted everything): importing an unchanged
organization twice gives identical files, and a re-import's diff shows what changed.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from aigov.errors import TargetError, UsageError
from aigov.findings import Finding, exit_code
from aigov.org.baseline import baseline_yaml, build_baseline
from aigov.org.discover import discover, discover_tags
from aigov.org.export import TYPE_DIRS, Export, export_inventory
from aigov.org.inventory import Inventory
from aigov.target.clients import OrgClients

SPEC_FILE = "organization.yaml"
BASELINE_FILE = "tests/baseline.yaml"
# Where each finding's comment goes in the spec.
SECTION_OF = {"IMPORT_OU_NOT_EXPRESSIBLE": "organizational_units",
              "IMPORT_ACCOUNT_NOT_ACTIVE": "accounts",
              "IMPORT_ACCOUNT_NOT_EXPRESSIBLE": "accounts"}


@dataclass
class ImportReport:
    """What an import found and wrote; ``findings`` are what the spec could not hold."""

    out: Path
    organization_id: str
    live: dict[str, int]
    imported: dict[str, int]
    findings: list[Finding] = field(default_factory=list)
    baseline_cases: int = 0
    lint: dict[str, int] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    inventory: Inventory | None = None
    spec: dict[str, Any] = field(default_factory=dict)  # the imported spec's data

    @property
    def exit_code(self) -> int:
        """1 when the spec would not plan zero changes (an attachment it cannot name)."""
        return exit_code(self.findings)

    def rows(self) -> list[dict[str, Any]]:
        """Live vs imported counts, one row per kind of thing."""
        return [{"kind": k, "live": self.live[k], "imported": self.imported.get(k, 0)}
                for k in self.live]

    def finding_rows(self) -> list[dict[str, str]]:
        return [{"code": f.code, "severity": f.severity.value,
                 "key": str(f.location.get("key", "")), "message": f.message}
                for f in self.findings]

    def account_rows(self) -> list[dict[str, Any]]:
        """The imported accounts: name, id, email, OU, tags."""
        return [{"name": a["name"], "id": a["id"], "email": a["email"], "ou": a["ou"],
                 "tags": ", ".join(f"{k}={v}" for k, v in a.get("tags", {}).items())}
                for a in self.spec.get("accounts", [])]

    def policy_rows(self) -> list[dict[str, Any]]:
        """The imported policies: name, type, file, where attached, description."""
        return [{"name": p["name"], "type": p["type"], "file": p["file"],
                 "targets": ", ".join(p["targets"]) or "(none)",
                 "description": p.get("description", "")}
                for p in self.spec.get("policies", [])]

    def summary(self) -> dict[str, Any]:
        """The headline results for a run record."""
        return {"import_dir": str(self.out), "organization_id": self.organization_id,
                "imported": self.imported, "live": self.live,
                "not_expressible": len(self.findings),
                "not_expressible_errors": sum(f.severity.value == "error"
                                              for f in self.findings),
                "baseline_cases": self.baseline_cases, "lint_findings": self.lint}

    def to_dict(self) -> dict[str, Any]:
        return {"out": str(self.out), "organization_id": self.organization_id,
                "counts": self.rows(), "not_expressible": self.finding_rows(),
                "baseline_cases": self.baseline_cases, "lint_findings": self.lint,
                "files": self.files}

    def render(self) -> str:
        lines = [f"imported organization {self.organization_id} into {self.out}"]
        lines += [f"  {r['kind']}: {r['imported']} of {r['live']}" for r in self.rows()]
        lines.append(f"  baseline: {self.baseline_cases} policy test case(s) in "
                     f"{BASELINE_FILE}")
        total = sum(self.lint.values())
        detail = ", ".join(f"{n} {sev}" for sev, n in sorted(self.lint.items()))
        lines.append(f"  lint: {total} finding(s) about the live policies"
                     + (f" ({detail}); see `aigov lint --spec {self.out / SPEC_FILE}`"
                        if total else ""))
        if self.findings:
            lines.append(f"not expressible in the spec ({len(self.findings)}), also "
                         f"written as comments in {SPEC_FILE}:")
            lines += [f"  {f.severity.value} {f.code}: {f.message}" for f in self.findings]
        return "\n".join(lines)


class _Dumper(yaml.SafeDumper):
    """Quotes every all-digit string: an account id like ``012345678901`` is a string,
    and a YAML 1.2 reader (or a person) must not take it for a number."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "'" if value.isdigit() else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def _comment(text: str) -> str:
    """One comment line: nothing a name holds can end the comment or start YAML."""
    return "# " + "".join(ch if ch.isprintable() else "?" for ch in text)


def spec_yaml(export: Export, organization_id: str) -> str:
    """``organization.yaml`` text: the spec data with each finding as a comment under
    the section it concerns, and all of them listed in the header."""
    head = [f"Imported by `aigov import` from organization {organization_id}.",
            "Every value mirrors the live organization, so `aigov plan --spec` this file "
            "plans no change;", "edit it, then plan: the plan shows exactly the edit. "
            "Policy files are templates (docs/import.md)."]
    if export.findings:
        head.append(f"Not expressible in the spec ({len(export.findings)}):")
        head += [f"  {f.code}: {f.message}" for f in export.findings]
    parts = ["\n".join(_comment(h) for h in head), ""]
    for section, value in export.spec.items():
        parts.append(yaml.dump({section: value}, Dumper=_Dumper, sort_keys=False,
                               allow_unicode=True, width=1000).rstrip("\n"))
        notes = [f for f in export.findings
                 if SECTION_OF.get(f.code, _default_section(f.code)) == section]
        parts += [_comment(f"not imported: {f.message}") for f in notes]
        parts.append("")
    return "\n".join(parts)


def _default_section(code: str) -> str:
    return "organization" if code in ("IMPORT_TAGS_NOT_EXPRESSIBLE",) else "policies"


def _counts(inv: Inventory) -> dict[str, int]:
    out = {"OUs": len(inv.ous), "accounts": len(inv.accounts_by_id)}
    for (ptype, _name), pol in sorted(inv.policies.items()):
        if not pol.aws_managed:
            out[f"{ptype} policies"] = out.get(f"{ptype} policies", 0) + 1
    return out


def _imported_counts(export: Export) -> dict[str, int]:
    def ous(nodes: list[dict[str, Any]]) -> int:
        return sum(1 + ous(n.get("children", [])) for n in nodes)

    out = {"OUs": ous(export.spec["organizational_units"]),
           "accounts": len(export.spec["accounts"])}
    for pol in export.spec["policies"]:
        out[f"{pol['type']} policies"] = out.get(f"{pol['type']} policies", 0) + 1
    return out


def default_out(inv: Inventory) -> Path:
    return Path.cwd() / f"aigov-import-{inv.organization_id}"


def import_organization(c: OrgClients, out: str | Path | None = None, *, force: bool = False,
                        shipped_tests: Path | None = None) -> ImportReport:
    """Read the organization behind ``c`` and write spec, policies and baseline to ``out``.

    ``out`` must not exist unless ``force`` (then the files an import writes are
    replaced and anything else there is kept). ``shipped_tests``: the project's guardrail
    tests, whose requests the baseline asks (default: ``policies/tests`` of the project).
    """
    if out is not None:
        _check_out(Path(out), force)
    inv = discover(c)
    if not inv.exists:
        raise TargetError(f"the caller ({inv.caller_account_id}) has no organization to "
                          "import", fix="point --endpoint-url or the AWS credentials at the "
                          "organization's management account")
    dest = Path(out) if out is not None else default_out(inv)
    _check_out(dest, force)
    # Discovery read the tags of every OU and account already; the root's and the
    # policies' are read here.
    known = {x.id: dict(x.tags) for x in [*inv.ous.values(), *inv.accounts_by_id.values()]}
    ids = [inv.root_id or "", *(p.id for p in inv.policies.values() if not p.aws_managed)]
    export = export_inventory(inv, {**known, **discover_tags(c, ids)})
    dest.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{dest.name}.import-", dir=dest.parent))
    try:
        report = _write(export, inv, work, shipped_tests)
        _move_into_place(work, dest)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report.out = dest
    report.inventory = inv
    report.spec = export.spec
    return report



def _check_out(out: Path, force: bool) -> None:
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out} is a file", fix="give --out a folder")
    if out.exists() and any(out.iterdir()) and not force:
        raise UsageError(f"{out} already exists; import never overwrites without --force",
                         fix="choose another --out, or add --force to replace the "
                         "imported files there")


def _write(export: Export, inv: Inventory, work: Path,
           shipped_tests: Path | None) -> ImportReport:
    from aigov.paths import repo_root
    from aigov.policy.bundle import Bundle

    for rel, text in export.files.items():
        (work / rel).parent.mkdir(parents=True, exist_ok=True)
        (work / rel).write_text(text, encoding="utf-8")
    spec_path = work / SPEC_FILE
    spec_path.write_text(spec_yaml(export, inv.organization_id or ""), encoding="utf-8")
    bundle = Bundle.load(spec_path)  # rendered once for the baseline and lint
    tests = shipped_tests if shipped_tests is not None else repo_root() / "policies" / "tests"
    cases = build_baseline(bundle, tests if tests.is_dir() else None)
    (work / BASELINE_FILE).parent.mkdir(parents=True, exist_ok=True)
    (work / BASELINE_FILE).write_text(baseline_yaml(cases, inv.organization_id or ""),
                                      encoding="utf-8")
    lint: dict[str, int] = {}
    for f in bundle.findings:
        lint[f.severity.value] = lint.get(f.severity.value, 0) + 1
    return ImportReport(work, inv.organization_id or "", _counts(inv),
                        _imported_counts(export), export.findings, len(cases), lint,
                        sorted([SPEC_FILE, BASELINE_FILE, *export.files]))


def _move_into_place(work: Path, dest: Path) -> None:
    """A new destination is one rename; an existing one (``--force``) gets the spec, the
    baseline and each policy-type folder replaced, and keeps everything else."""
    if not dest.exists():
        work.rename(dest)
        return
    for folder in TYPE_DIRS.values():
        shutil.rmtree(dest / folder, ignore_errors=True)
        if (work / folder).is_dir():
            (work / folder).rename(dest / folder)
    (dest / "tests").mkdir(exist_ok=True)
    (work / BASELINE_FILE).replace(dest / BASELINE_FILE)
    (work / SPEC_FILE).replace(dest / SPEC_FILE)
