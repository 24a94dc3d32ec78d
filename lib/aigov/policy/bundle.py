"""One ``Bundle`` per command or notebook: the spec and everything derived from it.

The spec is read once, each policy template rendered once, each SCP and RCP compiled
once, and lint run once; lint, simulate, prove, plan, apply, drift and the gate take the
bundle and read its members instead of reading the spec or rendering a template again
(docs/architecture.md, "Data flow"). Every member is computed on first use and kept,
so a command that never simulates never compiles a policy.

A bundle is a snapshot: it never notices a file changing under it. ``digest`` is the
sha256 of what lint's answer depends on (the spec's bytes, each policy file's bytes and
its rendered text), so findings kept by an earlier bundle (``lint_store``) are reused
only when the digests are equal: the runbook's notebooks 03 and 05 share one lint this
way, and a policy edited between them is linted again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aigov.errors import InputError, PolicySyntaxError
from aigov.findings import Finding, Severity
from aigov.paths import write_atomic
from aigov.policy.managed import RenderedPolicy
from aigov.policy.types import RCP, SCP
from aigov.spec.model import Spec

if TYPE_CHECKING:
    from aigov.policy.checks.document import PolicyDoc
    from aigov.policy.parse import Policy
    from aigov.policy.simulate import OrgModel

# A policy template's outcome: its rendered text, or why it did not render.
Rendered = str | PolicySyntaxError | InputError


class Bundle:
    """The spec, its rendered and compiled policies, their placement and lint findings.

    ``management_account``: the account SCPs and RCPs exempt (``policy/exemptions.py``),
    from the spec unless the caller discovered it; ``model()`` compiles with it.

    ``rendered`` replaces the spec's own documents (drafts in the playground or
    ``aigov simulate --draft``); such a bundle renders nothing.
    """

    def __init__(self, spec: Spec, *, rendered: Mapping[str, RenderedPolicy] | None = None,
                 management_account: str | None = None, lint_store: Path | None = None,
                 ) -> None:
        self.spec = spec
        self.lint_store = lint_store
        self.lint_reused = False  # True: the findings came from ``lint_store``, not a lint
        self.management_account = (management_account
                                   or spec.organization.management_account_id)
        if rendered is not None:
            self.__dict__["rendered"] = dict(rendered)
        self._texts: dict[str, Rendered] = {}
        self._policies: dict[str, RenderedPolicy] = {}
        self._models: dict[str | None, OrgModel] = {}

    @classmethod
    def load(cls, path: str | Path | None = None, *, lint_store: Path | None = None,
             ) -> Bundle:
        """The bundle of the spec at ``path`` (default ``policies/organization.yaml``);
        an invalid spec raises ``SpecError`` (exit 2) listing every problem.
        ``lint_store``: a file where lint's findings are kept under the digest, and
        reused by a later bundle of byte-identical files (one lint per run)."""
        from aigov.spec.load import load_spec

        return cls(load_spec(path), lint_store=lint_store)

    @classmethod
    def of(cls, spec: Spec | Bundle,
           rendered: Mapping[str, RenderedPolicy] | None = None) -> Bundle:
        """``spec`` itself when it is a bundle, else a new bundle of it (one-off callers:
        tests, a widget given a bare spec), with ``rendered`` as its documents if given."""
        if isinstance(spec, Bundle):
            return spec if rendered is None else cls(spec.spec, rendered=rendered,
                                                     management_account=spec.management_account)
        return cls(spec, rendered=rendered)

    @property
    def file(self) -> str:
        """The spec's path as findings name it ("" for a spec built in memory)."""
        return str(self.spec.source or "")

    # -- rendering, once per policy ----------------------------------------------------

    def text(self, name: str) -> Rendered:
        """One policy's rendered template text, or the error saying why it did not
        render; each template renders once per bundle, and only when asked for."""
        got = self._texts.get(name)
        if got is None:
            from aigov.policy.render import render_text

            try:
                got = render_text(self.spec, self.spec.policy(name))
            except (PolicySyntaxError, InputError) as exc:
                got = exc
            self._texts[name] = got
        return got

    @property
    def texts(self) -> dict[str, Rendered]:
        """Every policy's ``text``, by name in spec order."""
        return {p.name: self.text(p.name) for p in self.spec.policies}

    def policy(self, name: str) -> RenderedPolicy:
        """One policy as AWS will store it (rendered once; its error, exit 2, if the
        template does not render). A draft bundle answers with its draft."""
        if "rendered" in self.__dict__:
            return self.rendered[name]
        got = self._policies.get(name)
        if got is None:
            from aigov.policy.render import render_policy

            text = self.text(name)
            if isinstance(text, Exception):
                raise text
            got = self._policies[name] = render_policy(self.spec, self.spec.policy(name), text)
        return got

    def document(self, name: str) -> dict[str, Any]:
        return self.policy(name).document

    @cached_property
    def rendered(self) -> dict[str, RenderedPolicy]:
        """Every policy as AWS will store it, by name in spec order; the first policy
        that does not render raises its error (exit 2), as ``render_spec`` does."""
        return {p.name: self.policy(p.name) for p in self.spec.policies}

    @cached_property
    def parsed(self) -> dict[str, Policy]:
        """Every SCP and RCP compiled for the evaluator, by name (drafts included)."""
        from aigov.policy.parse import parse_policy

        return {name: parse_policy(r.document, name=name, policy_type=r.type)
                for name, r in self.rendered.items() if r.type in (SCP, RCP)}

    def attached(self, level: str, policy_type: str) -> list[RenderedPolicy]:
        """Policies of ``policy_type`` attached directly at ``level`` (a canonical key),
        the AWS-managed FullAWSAccess / RCPFullAWSAccess where they sit included
        (``render.attached``, the one placement rule)."""
        from aigov.policy.render import attached

        return attached(self.spec, self.rendered, level, policy_type)

    def with_drafts(self, drafts: Mapping[str, Any]) -> Bundle:
        """A bundle whose named policies are replaced by draft documents (the spec's
        other policies as rendered here)."""
        from aigov.policy.ask import with_drafts

        return Bundle(self.spec, rendered=with_drafts(self.rendered, drafts),
                      management_account=self.management_account)

    # -- simulation --------------------------------------------------------------------

    def model(self, management_account: str | None = None) -> OrgModel:
        """The spec compiled for simulation (one per management account, kept)."""
        from aigov.policy.simulate import OrgModel

        mgmt = management_account or self.management_account
        got = self._models.get(mgmt)
        if got is None:
            got = self._models[mgmt] = OrgModel(self, management_account=mgmt)
        return got

    # -- lint, once ----------------------------------------------------------------------

    @cached_property
    def _lint(self) -> tuple[dict[str, PolicyDoc] | None, list[Finding]]:
        """Lint's documents and findings: kept ones when ``lint_store`` holds findings of
        this very digest, else lint runs (and the store is written for the next one)."""
        from aigov.policy.lint import lint_bundle

        if self.lint_store is not None:
            kept = read_lint(self.lint_store, self.digest)
            if kept is not None:
                self.lint_reused = True
                return None, kept
        docs, found = lint_bundle(self)
        if self.lint_store is not None:
            write_lint(self.lint_store, self.digest, found)
        return docs, found

    @property
    def lint_documents(self) -> dict[str, PolicyDoc]:
        """The documents lint read, by policy name (for display; parsed again from the
        rendered texts when the findings were kept from an earlier bundle)."""
        docs = self._lint[0]
        if docs is None:
            from aigov.policy.lint import render_for_lint

            found = {p.name: render_for_lint(self.spec, p, self.text(p.name))[0]
                     for p in self.spec.policies}
            docs = {n: d for n, d in found.items() if d is not None}
        return docs

    @property
    def findings(self) -> list[Finding]:
        """Every lint finding of the spec's policies and spec-wide rules, the spec's
        ``lint:`` overrides applied."""
        return list(self._lint[1])

    @property
    def lint_errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.ERROR]

    @property
    def linted(self) -> bool:
        """True once lint has run (or its findings were reused) for this bundle."""
        return "_lint" in self.__dict__

    @cached_property
    def digest(self) -> str:
        """sha256 of what lint depends on: the spec's bytes, and each policy's file bytes
        and rendered text (includes and parameters show in the text)."""
        h = hashlib.sha256()
        for path in [self.spec.source, *(self.spec.policy_path(p) for p in self.spec.policies)]:
            h.update(str(path).encode() + b"\0")
            try:
                h.update(Path(path).read_bytes() if path else b"")
            except OSError as exc:
                h.update(f"unreadable: {exc.strerror}".encode())
            h.update(b"\0")
        for name, text in self.texts.items():
            h.update(f"{name}\0{text if isinstance(text, str) else repr(text)}\0".encode())
        return h.hexdigest()



def read_lint(path: Path, digest: str) -> list[Finding] | None:
    """Findings kept at ``path`` for the bundle whose digest is ``digest``; ``None`` when
    there are none, or they belong to other bytes (stale findings are never used)."""
    import json

    try:
        kept = json.loads(path.read_text(encoding="utf-8"))
        if kept.get("digest") != digest:
            return None
        return [Finding.from_dict(f) for f in kept["findings"]]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def write_lint(path: Path, digest: str, findings: list[Finding]) -> None:
    """Keep ``findings`` at ``path`` under ``digest`` (written whole, then renamed)."""
    import json

    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, json.dumps({"digest": digest,
                                   "findings": [f.to_dict() for f in findings]},
                                  indent=2, sort_keys=True))
