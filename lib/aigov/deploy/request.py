"""What a deploy is asked to do and what it found and did: the data the flow passes.

``DeployRequest`` comes from the command line (``commands/deploy.py``) or a notebook
(``runbook/adapters.py``); ``Planned`` and ``Outcome`` are what ``deploy/flow.py``
returns and the caller renders (``render()``, ``table()``) or records (``summary()``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aigov.org.apply import Progress
from aigov.org.inventory import Inventory
from aigov.org.plan import Plan
from aigov.policy.bundle import Bundle
from aigov.policy.render import RenderedPolicy
from aigov.spec.model import Spec
from aigov.target.clients import OrgClients


@dataclass
class DeployRequest:
    """Everything a deploy needs, from the notebook's parameters or the command line."""

    bundle: Bundle                  # the spec, rendered once (a bare Spec gets its own)
    clients: OrgClients
    target: str = "emulator"
    allow_mutations: bool = False
    confirm: bool = False
    approve: bool = True
    allow_delete: bool = False
    region: str = "us-east-1"
    progress: Progress | None = None   # called after each applied change (the caller shows it)

    def __post_init__(self) -> None:
        self.bundle = Bundle.of(self.bundle)
        _ = self.bundle.rendered  # a template that does not render: exit 2 before any call

    @property
    def spec(self) -> Spec:
        return self.bundle.spec

    @property
    def rendered(self) -> dict[str, RenderedPolicy]:
        return self.bundle.rendered

    @property
    def rules(self) -> str:
        """The rules this deploy gets: ``aws`` when declared or when any endpoint is not
        loopback (``aigov.target.endpoints``)."""
        return "aws" if self.target == "aws" else self.clients.target.kind


@dataclass
class Planned:
    engine: str                     # the engine that runs (never "auto")
    requested: str
    inventory: Inventory
    direct_plan: Plan               # the direct engine's Changes (the gate replays them)
    preview: list[Any] = field(default_factory=list)   # Pulumi's runs (PulumiRun)

    @property
    def changes_planned(self) -> int:
        if self.engine == "pulumi" and self.preview:
            return sum(run.changed for run in self.preview)
        return len(self.direct_plan.changes)

    def table(self):  # -> pandas.DataFrame
        if self.engine == "pulumi" and self.preview:
            import pandas as pd

            return pd.DataFrame([{"phase": r.phase, "operation": op, "resources": n}
                                 for r in self.preview for op, n in sorted(r.changes.items())],
                                columns=["phase", "operation", "resources"])
        return self.direct_plan.table()

    def render(self) -> str:
        head = f"engine: {self.engine}" + (f" (requested {self.requested})"
                                           if self.requested != self.engine else "")
        if self.engine == "pulumi" and self.preview:
            body = "\n".join(f"  {r.phase}: " + ", ".join(f"{n} {op}" for op, n in
                                                          sorted(r.changes.items()))
                             for r in self.preview)
        else:
            body = self.direct_plan.render()
        return f"{head}\n{body}"

    def summary(self) -> dict[str, Any]:
        return {"engine": self.engine, "engine_requested": self.requested,
                "changes_planned": self.changes_planned}


@dataclass
class Outcome:
    engine: str
    changes_planned: int
    changes_applied: int
    status: str                     # applied | nothing to do | not approved
    remaining: int = 0              # changes a fresh plan still finds after the apply
    outputs: dict[str, Any] = field(default_factory=dict)
    runs: list[dict[str, Any]] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        out = {"engine": self.engine, "changes_planned": self.changes_planned,
               "changes_applied": self.changes_applied, "status": self.status,
               "changes_remaining": self.remaining}
        if self.outputs:
            out["pulumi_outputs"] = self.outputs
        if self.runs:
            out["pulumi_runs"] = self.runs
        return out

    def render(self) -> str:
        return (f"{self.status}: {self.changes_applied} of {self.changes_planned} planned "
                f"change(s) applied by the {self.engine} engine; {self.remaining} remaining")
