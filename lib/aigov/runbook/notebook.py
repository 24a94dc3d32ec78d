"""What a runbook notebook calls first and last: parameters in, headline results out.

A notebook's second cell is ``ctx = start("03_policies", globals())``; later cells call
the library with ``ctx.bundle`` (the spec, read and rendered once) / ``ctx.session()`` and record their headline results with
``ctx.record(...)``. The runner copies ``<run_dir>/results/<notebook>.json`` into the
manifest, so a scheduler reads the outcome without opening the notebook (docs/contracts/run-records.md).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from aigov.errors import ChecksFailed
from aigov.paths import resolve
from aigov.policy.bundle import Bundle
from aigov.runbook.params import RunParams, params_from_namespace
from aigov.spec import Spec

RESULTS_DIR = "results"
LINT_STORE = "shared/lint.json"  # lint's findings, kept for the run's later notebooks


@dataclass
class Context:
    """One notebook's view of the run: its parameters, the spec, and its results."""

    notebook: str
    params: RunParams
    results: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def bundle(self) -> Bundle:
        """The spec read once and its policies rendered once, for every cell of this
        notebook. Under ``aigov run`` lint's findings are kept in the run folder
        (``shared/lint.json``) under the digest of the spec and policy files, so 05's
        gate reuses 03's lint when nothing changed and lints again when anything did."""
        store = Path(self.params.run_dir) / LINT_STORE if self.params.run_dir else None
        return Bundle.load(self.params.spec, lint_store=store)

    @property
    def spec(self) -> Spec:
        return self.bundle.spec

    @property
    def spec_path(self) -> Path:
        return resolve(self.params.spec)

    @property
    def endpoint_url(self) -> str | None:
        return self.params.endpoint_url or os.environ.get("AWS_ENDPOINT_URL") or None

    @cached_property
    def _clients(self):  # -> aigov.target.clients.OrgClients
        from aigov.target.clients import clients

        return clients(endpoint_url=self.endpoint_url, region=self.params.region,
                       target=self.params.target)

    def session(self):  # -> aigov.target.clients.OrgClients
        """Read-only clients for the target (the emulator's endpoint, or the boto3
        credential chain). ``TargetError`` (exit 2) before any call when the run says
        ``target=emulator`` but an endpoint is missing or not loopback."""
        return self._clients

    def record(self, **results: Any) -> dict[str, Any]:
        """Record headline results (JSON values); the runner copies them into the manifest.
        The AWS requests this notebook's kernel has sent so far are recorded with them
        (``api_calls``, by operation, and the estimated seconds on AWS: target/calls.py)."""
        from aigov.target.calls import summary

        self.results.update(results)
        self.results.update(summary())
        if self.params.run_dir:
            out = Path(self.params.run_dir) / RESULTS_DIR / f"{self.notebook}.json"
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(json.dumps(self.results, indent=2, sort_keys=True, default=str),
                           encoding="utf-8")
        return dict(self.results)

    def fail(self, message: str, findings: list | None = None) -> None:
        """Stop the run here (papermill marks this cell as the failing one)."""
        self.record(status="failed", reason=message)
        raise ChecksFailed(message, findings=findings)


def start(notebook: str, namespace: dict[str, Any]) -> Context:
    """Validate a notebook's parameters (from its globals) and return its ``Context``."""
    from aigov.target.seen import watch

    watch()  # under aigov run: every credential a session resolves reaches the redactor
    params = params_from_namespace(namespace)
    if params.endpoint_url:
        # Every boto3 client in this kernel, including ones a user makes by hand in a
        # cell, then talks to the same endpoint.
        os.environ["AWS_ENDPOINT_URL"] = params.endpoint_url
    return Context(notebook=notebook, params=params)
