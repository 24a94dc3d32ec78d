"""The repository stands alone: it cites its own docs/, never a file outside it."""

from __future__ import annotations

import re
import subprocess

from conftest import ROOT

# A design or style document that is not in the repository, or a path that leaves it.
OUTSIDE = re.compile(r"\bDESIGN\.md\b|\bSTYLE\.md\b|\.\./shared\b|/work/shared\b")


def tracked_text_files() -> list[str]:
    out = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"],
                         cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return [f for f in out.splitlines()
            if not f.endswith((".png", ".svg", ".ipynb")) and (ROOT / f).is_file()]


def _read(name: str) -> str:
    try:
        return (ROOT / name).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return ""


def test_nothing_cites_a_design_document_outside_the_repository():
    cited = [f"{name}:{i}" for name in tracked_text_files()
             for i, line in enumerate(_read(name).splitlines(), 1)
             if name != "tests/test_docs.py" and OUTSIDE.search(line)]
    assert cited == []


def test_the_docs_hold_the_architecture_and_every_contract():
    for doc in ("architecture.md", "style.md", "contracts/policy-tests.md",
                "contracts/batch-simulation.md", "contracts/properties.md",
                "contracts/lint-findings.md", "contracts/run-records.md",
                "contracts/exit-codes.md", "contracts/command-line.md",
                "contracts/plan-and-drift.md", "contracts/targets-and-engines.md"):
        assert (ROOT / "docs" / doc).is_file(), doc
