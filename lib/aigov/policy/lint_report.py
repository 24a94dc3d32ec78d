"""The lint results as notebook 03 shows them: tables, documents, a size chart, counts.

Each method is one notebook cell's call; the notebook holds no logic (docs/style.md, rule 2).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aigov.findings import Finding, Severity
from aigov.policy.bundle import Bundle
from aigov.policy.checks.document import PolicyDoc
from aigov.policy.checks.quotas import load_quotas
from aigov.spec.model import Spec

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

# imported by the methods that make a table or the chart; a kernel started ahead for
# notebook 03 imports them while the previous notebook runs (runbook/kernels.py)
DEFERRED_IMPORTS = ("pandas", "matplotlib.pyplot")


@dataclass
class LintReport:
    """A linted spec: its rendered documents (by policy name), findings and quotas."""

    spec: Spec
    docs: dict[str, PolicyDoc]
    findings: list[Finding]
    quotas: dict[str, Any] = field(default_factory=dict)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.ERROR]

    def counts(self) -> dict[str, int]:
        """Headline numbers for the run record."""
        by = {s: sum(f.severity is s for f in self.findings) for s in Severity}
        return {"policies": len(self.spec.policies), "rendered": len(self.docs),
                "lint_errors": by[Severity.ERROR], "lint_warnings": by[Severity.WARNING],
                "lint_suggestions": by[Severity.SUGGESTION]}

    def policies(self) -> pd.DataFrame:
        """One row per policy: type, where it attaches, size against its quota."""
        import pandas as pd

        rows = []
        for p in self.spec.policies:
            doc = self.docs.get(p.name)
            limit = (self.quotas.get(p.type) or {}).get("max_size")
            size = len(doc.text) if doc else None
            rows.append({"policy": p.name, "type": p.type, "attached to": ", ".join(p.targets),
                         "file": p.file, "characters": size, "quota": limit,
                         "% of quota": round(100 * size / limit, 1) if size and limit else None,
                         "findings": sum(f.file == str(self.spec.policy_path(p))
                                         for f in self.findings)})
        return pd.DataFrame(rows)

    def findings_frame(self) -> pd.DataFrame:
        """The findings as a table, errors first."""
        import pandas as pd

        order = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.SUGGESTION: 2}
        cols = ["severity", "code", "file", "statement", "element", "line", "key", "message", "fix"]
        rows = [{"severity": f.severity.value, "code": f.code, "file": self._short(f.file),
                 **{k: f.location.get(k) for k in ("statement", "element", "line", "key")},
                 "message": f.message, "fix": f.fix}
                for f in sorted(self.findings, key=lambda f: (order[f.severity], f.code))]
        return pd.DataFrame(rows, columns=cols)

    def _short(self, file: str) -> str:
        base = self.spec.source.parent if self.spec.source else None
        if base and file.startswith(str(base) + "/"):
            return file[len(str(base)) + 1:]
        return file

    def documents_text(self) -> str:
        """Every rendered document, indented, under a header saying where it attaches."""
        parts = []
        for p in self.spec.policies:
            doc = self.docs.get(p.name)
            body = json.dumps(doc.document, indent=2, sort_keys=True) if doc else "(not rendered)"
            size = f"{len(doc.text):,} characters" if doc else ""
            parts.append(f"## {p.name}  [{p.type}]  -> {', '.join(p.targets) or '(not attached)'}"
                         f"  ({size})\n{body}")
        return "\n\n".join(parts)

    def size_figure(self) -> Figure:
        """Each policy's minified size as a share of its type's size quota."""
        # pyplot so a Jupyter kernel registers its image formatter; closed so the figure
        # shows once, as the cell's value.
        import matplotlib.pyplot as plt

        df = self.policies().dropna(subset=["% of quota"])
        fig = plt.figure(figsize=(8, 0.35 * len(df) + 1.2))
        plt.close(fig)
        ax = fig.add_subplot()
        colors = ["#c0392b" if v > 100 else "#e67e22" if v > 90 else "#2e86c1"
                  for v in df["% of quota"]]
        ax.barh(df["policy"], df["% of quota"], color=colors)
        ax.axvline(100, color="#c0392b", linestyle="--", linewidth=1)
        ax.invert_yaxis()
        ax.set_xlabel("size, % of the type's quota (minified, as AWS counts)")
        ax.set_xlim(0, max(110, float(df["% of quota"].max() or 0) + 10))
        fig.tight_layout()
        return fig


def lint_report(bundle: Bundle | Spec) -> LintReport:
    """Every policy of a valid spec's bundle, rendered and linted (once: the bundle
    keeps its lint, or reuses the findings its ``lint_store`` holds for these files)."""
    bundle = Bundle.of(bundle)
    spec = bundle.spec
    return LintReport(spec=spec, docs=bundle.lint_documents, findings=bundle.findings,
                      quotas=load_quotas(spec.quotas))
