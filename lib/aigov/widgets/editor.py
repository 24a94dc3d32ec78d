"""The policy editor: edit a policy's document, see lint findings and its size against
the quota as you type, and (with a playground) decisions that follow the draft.

The draft is the document as AWS would store it, so it is linted with the document
checks of ``aigov lint`` and sized as the minified text AWS counts. Spec-wide checks
(attachments, lockout across levels) need the whole spec and stay with ``aigov lint``.
A draft that does not parse leaves the playground on the last draft that did; its size
still follows the text (an estimate: the text without its layout whitespace). Each
policy keeps its own draft text, parsed or not, so switching policies loses nothing.
Findings show their numbered source lines beside them, and the playground's decision
stays beside the editor, so a change and its effect are on one screen.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

import pandas as pd

from aigov.errors import AigovError, UsageError
from aigov.findings import Finding
from aigov.policy.bundle import Bundle
from aigov.policy.checks.quotas import load_quotas
from aigov.policy.lint import lint_document, parse_document
from aigov.policy.render import RenderedPolicy
from aigov.policy.types import AUTHORIZATION_TYPES
from aigov.spec.model import Spec
from aigov.widgets.keys import keyboard_scope
from aigov.widgets.playground import PolicyPlayground
from aigov.widgets.view import Static, View, pre, table_html


class PolicyEditor(View):
    """``e = PolicyEditor(spec, playground=p, policy="deny-leave-organization")``;
    ``e.set_text(...)`` then read ``e.findings``, ``e.size``, ``e.max_size``."""

    def __init__(self, spec: Spec | Bundle, *, policy: str | None = None,
                 playground: PolicyPlayground | None = None,
                 rendered: Mapping[str, RenderedPolicy] | None = None) -> None:
        import ipywidgets as w

        if rendered is None and playground is not None:
            rendered = playground.base  # the playground's documents: not rendered again
        bundle = Bundle.of(spec, rendered)
        self.spec = spec = bundle.spec
        self.playground = playground
        self.rendered = dict(bundle.rendered)
        self.quotas = load_quotas(spec.quotas)
        self.findings: list[Finding] = []
        self.size = 0
        self.parsed = True
        self.error: str | None = None
        self.texts: dict[str, str] = {}  # each policy's draft text, parsed or not
        self._picker = w.Dropdown(options=list(self.rendered), description="policy",
                                  layout=w.Layout(width="30em"))
        self._text = w.Textarea(description="policy JSON",
                                layout=w.Layout(width="100%", height="22em"))
        self._text.add_class("aigov-editor")
        self._size = w.HTML()
        self._size.add_class("aigov-size")
        self._findings = w.HTML()
        self._findings.add_class("aigov-findings")
        self._reset = w.Button(description="Back to the spec's version", icon="undo",
                                layout=w.Layout(width="auto"))
        self._reset.on_click(lambda _: self.reset())
        editor = w.VBox([w.HBox([self._picker, self._reset]), self._text, self._size,
                         self._findings], layout=w.Layout(width="55%"))
        side = [playground.decision_view()] if playground is not None else []
        self.widget = w.HBox([editor, w.VBox(side, layout=w.Layout(width="45%")),
                              keyboard_scope()])
        self._picker.observe(lambda ch: self.select(ch["new"]), names="value")
        self._text.observe(lambda ch: self._check(ch["new"]), names="value")
        self.select(policy or next(iter(self.rendered)))

    @property
    def policy(self) -> RenderedPolicy:
        return self.rendered[self._picker.value]

    @property
    def max_size(self) -> int:
        return int(self.quotas[self.policy.type]["max_size"])

    @property
    def text(self) -> str:
        return self._text.value

    def select(self, name: str) -> None:
        """Edit another policy; the editor starts from its current draft or rendering."""
        if name not in self.rendered:
            raise UsageError(f"unknown policy {name!r}", fix=f"use one of {', '.join(self.rendered)}")
        self._picker.value = name
        if name in self.texts:
            self.set_text(self.texts[name])
            return
        doc = (self.playground.drafts.get(name) if self.playground else None) \
            or self.rendered[name].document
        self.set_text(json.dumps(doc, indent=2))

    def set_text(self, text: str) -> None:
        """Replace the draft's text (as typing does) and check it."""
        if self._text.value == text:
            self._check(text)
        self._text.value = text

    def reset(self) -> None:
        """Drop the draft: the playground decides with the spec's document again."""
        self.texts.pop(self.policy.name, None)
        self.set_text(json.dumps(self.policy.document, indent=2))

    def _check(self, text: str) -> None:
        p = self.policy
        spec_text = json.dumps(p.document, indent=2)
        if text != spec_text:
            self.texts[p.name] = text
        doc, found = parse_document(text, p.type, file=p.file, name=p.name)
        self.error = None
        self.parsed = doc is not None
        # AWS counts the minified document; while the text does not parse, estimate it
        # as the text without the whitespace outside strings.
        self.size = len(doc.text) if doc is not None else _estimate_size(text)
        if doc is not None:
            found = lint_document(doc, self.quotas)
            if self.playground is not None and p.type in AUTHORIZATION_TYPES \
                    and isinstance(doc.document, dict):
                same = doc.document == p.document  # the spec's own: no draft
                try:
                    self.playground.override(p.name, None if same else doc.document)
                except AigovError as exc:
                    self.error = exc.render()
        self.findings = found
        self._show(doc is not None)

    def findings_frame(self) -> pd.DataFrame:
        """Each finding with its numbered source line from the draft."""
        lines = self.text.splitlines()

        def source(line: object) -> str:
            if isinstance(line, int) and 1 <= line <= len(lines):
                return f"{line:>3} | {lines[line - 1].strip()}"
            return ""
        return pd.DataFrame([{"severity": f.severity.value, "code": f.code,
                              "line": f.location.get("line", ""),
                              "source": source(f.location.get("line")), "message": f.message}
                             for f in self.findings],
                            columns=["severity", "code", "line", "source", "message"])

    def size_text(self) -> str:
        share = self.size / self.max_size
        how = "minified as AWS counts" if self.parsed else \
            "estimated: the draft is not JSON yet"
        return (f"{self.policy.name}: {self.size:,} of {self.max_size:,} characters "
                f"({share:.0%} of the {self.policy.type} size quota, {how})")

    def _show(self, parsed: bool) -> None:
        share = min(self.size / self.max_size, 1.0)
        colour = "#b00020" if self.size > self.max_size else "#1a7f37"
        bar = (f"<div style='width:30em;background:#eee'><div style='width:{share:.0%};"
               f"background:{colour};height:0.6em'></div></div>")
        stale = "" if parsed else "<br><i>not JSON: the playground keeps the last draft " \
                                  "that parsed</i>"
        self._size.value = f"{self.size_text()}{bar}{stale}"
        err = pre(self.error) if self.error else ""
        count = f"<b>{len(self.findings)} finding(s)</b>" if self.findings else \
            "<b>no findings</b>"
        table = table_html(self.findings_frame()) if self.findings else ""
        self._findings.value = f"<div role='status' aria-live='polite'>{count}{table}{err}</div>"

    def static(self) -> Static:
        return Static(self.size_text(), self.findings_frame(),
                      *([self.error] if self.error else []))


_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"|\s+')


def _estimate_size(text: str) -> int:
    """Characters of ``text`` without whitespace outside JSON strings."""
    return sum(len(m.group()) for m in _STRINGS.finditer(text) if not m.group().isspace()) + \
        len(_STRINGS.sub("", text))
