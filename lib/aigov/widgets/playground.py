"""The policy playground: a request made from an OU or account, decided as you type.

The inputs are a target (OU path or account), an action (completed from the IAM
catalogue), a resource ARN, a region, an optional principal and context keys (JSON or
a YAML flow mapping, as in ``policies/tests/*.yaml``). Every change asks again through
``aigov.policy.ask`` (the path ``aigov simulate --target`` takes): the request is checked
first, and one that cannot exist (an unknown action, a resource that is not an ARN, region
``moon-1``) gets an amber "check the request", never a green ALLOW; a valid one is
decided with ``OrgModel`` and explained down to the condition and the request's value.
The region field is the request's ``aws:RequestedRegion``: a context that names it moves
into the field. Beside the inputs, the condition keys the target's policies test for
this action, with the request's values and this organization's realistic ones. "Add as test case" appends the request, with
the decision it got as its expectation, to a policy-tests file: what a team agreed on
in the session becomes a test that guards it.

A ``PolicyEditor`` draft replaces one policy's rendered document (``override``), so the
decisions follow the draft before anything is deployed.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from aigov.errors import AigovError, UsageError
from aigov.paths import resolve
from aigov.policy.ask import Answer, KeyHelp, ask, context_help, org_defaults
from aigov.policy.bundle import Bundle
from aigov.policy.evaluate import Decision
from aigov.policy.render import RenderedPolicy
from aigov.policy.simulate import tests_dir
from aigov.spec.model import Spec
from aigov.widgets.cases import append_case
from aigov.widgets.completion import all_actions, complete_action
from aigov.widgets.keys import keyboard_scope
from aigov.widgets.tree import node_label, tree_order
from aigov.widgets.view import Static, View, kv_frame, pre, table_html

# The request the playground opens with: an approved Bedrock model invoked from the AI
# development account, which the spec allows (policies/tests/bedrock_approved_models.yaml).
EXAMPLE = {"target": "ai-dev", "action": "bedrock:InvokeModel",
           "resource": "arn:aws:bedrock:us-east-1::foundation-model/"
                       "anthropic.claude-3-haiku-20240307-v1:0",
           "region": "us-east-1", "principal": "", "context": "{}"}
CASES_FILE = "onboarding.yaml"
REGION_KEY = "aws:RequestedRegion"


def parse_context(text: str) -> dict[str, str | list[str]]:
    """Context keys from JSON or a YAML flow mapping; values become strings (a list is a
    multivalued key). ``UsageError`` says what is wrong."""
    text = text.strip()
    if not text:
        return {}
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise UsageError(f"context is not JSON or YAML: {exc}".splitlines()[0],
                         location="context", fix='e.g. {"aws:RequestedRegion": "us-east-1"}'
                         ) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise UsageError("context is a mapping of condition keys to values",
                         location="context", fix='e.g. {"aws:SecureTransport": "true"}')
    out: dict[str, str | list[str]] = {}
    for k, v in data.items():
        if isinstance(v, list):
            out[str(k)] = [_text(x) for x in v]
        else:
            out[str(k)] = _text(v)
    return out


def _text(v: Any) -> str:
    return ("true" if v else "false") if isinstance(v, bool) else str(v)


def deciding(decision: Decision) -> str:
    """The statement that decided, named: policy, statement, level."""
    if decision.deny is not None:
        return decision.deny.text()
    if decision.missing is not None:
        kind, level, names, _ = decision.missing
        return f"no {kind} Allow at {level} (attached: {', '.join(names) or 'none'})"
    if decision.basis == "exempt":
        return "; ".join(decision.notes)
    return "; ".join(h.text() for h in decision.allows) or "no SCPs or RCPs apply"


class PolicyPlayground(View):
    """``p = PolicyPlayground(spec); p.set(action="organizations:LeaveOrganization")``;
    then ``p.decision.decision == "deny"`` and ``p.deciding`` names the policy."""

    def __init__(self, spec: Spec | Bundle, *, cases_file: str | Path | None = None,
                 rendered: Mapping[str, RenderedPolicy] | None = None, **request: Any) -> None:
        import ipywidgets as w

        self.bundle = Bundle.of(spec, rendered)  # the notebook's bundle: rendered once
        self.spec = spec = self.bundle.spec
        self.base = self.bundle.rendered
        self.drafts: dict[str, dict[str, Any]] = {}
        self.model = self.bundle.model()
        self.decision: Decision | None = None
        self.answer: Answer | None = None
        self.error: str | None = None
        self._mirrors: list[Any] = []
        all_actions()  # load the IAM catalogue now, not on the first keystroke
        self.cases_file = resolve(cases_file) if cases_file else tests_dir(spec) / CASES_FILE
        values = {**EXAMPLE, **request}
        if isinstance(values["context"], Mapping):
            values["context"] = yaml.safe_dump(dict(values["context"]),
                                               default_flow_style=True).strip()
        wide = w.Layout(width="46em")
        self.inputs = {
            "target": w.Dropdown(options=[(node_label(spec, k).strip(), k)
                                          for k in tree_order(spec)],
                                 description="target", layout=wide),
            "action": w.Combobox(placeholder="service:Action", ensure_option=False,
                                 description="action", layout=wide),
            "resource": w.Text(description="resource", layout=wide),
            "region": w.Text(description="region", layout=wide),
            "principal": w.Text(placeholder="default: role/Dev in the target's account",
                                description="principal", layout=wide),
            "context": w.Textarea(placeholder='{"aws:SecureTransport": "true"}',
                                  description="context", layout=w.Layout(width="46em",
                                                                          height="5em")),
        }
        for name, widget in self.inputs.items():
            widget.add_class(f"aigov-{name}")
        self._output = self.decision_view()
        self._help = w.HTML()
        self._help.add_class("aigov-context-help")
        self._fill = w.Button(description="Use this organization's values", icon="magic",
                              layout=w.Layout(width="auto"))
        self._fill.on_click(lambda _: self.fill_context())
        self._case_name = w.Text(placeholder="case name (default: the request)",
                                 description="case", layout=wide)
        self._add = w.Button(description="Add as test case", icon="plus",
                              layout=w.Layout(width="auto"))
        self._added = w.HTML()
        self._add.on_click(lambda _: self._on_add())
        inputs = w.VBox([*self.inputs.values(), self._help, self._fill,
                         w.HBox([self._case_name, self._add]), self._added],
                        layout=w.Layout(width="50%"))
        self.widget = w.HBox([inputs, w.VBox([self._output], layout=w.Layout(width="50%")),
                              keyboard_scope()])
        self._quiet = True
        self.set(**{k: values[k] for k in self.inputs})
        self._quiet = False
        for name, widget in self.inputs.items():
            widget.observe(self._changed(name), names="value")
        self.refresh()

    def _changed(self, name: str):  # noqa: ANN202 - a traitlets observer
        def observer(_: Any) -> None:
            if name == "action":
                self.inputs["action"].options = complete_action(self.inputs["action"].value)
            if not self._quiet:
                self.refresh()
        return observer

    # -- state -------------------------------------------------------------------------
    def set(self, **values: Any) -> None:
        """Change inputs (target, action, resource, region, principal, context) and
        decide once; ``context`` may be a mapping or text."""
        unknown = set(values) - set(self.inputs)
        if unknown:
            raise UsageError(f"unknown playground input(s) {', '.join(sorted(unknown))}",
                             fix=f"use {', '.join(self.inputs)}")
        quiet, self._quiet = self._quiet, True
        try:
            for name, value in values.items():
                if name == "target":
                    value = self.spec.normalize_target(value)
                elif name == "context" and isinstance(value, Mapping):
                    value = _context_text(value)
                self.inputs[name].value = value
        finally:
            self._quiet = quiet
        if not quiet:
            self.refresh()

    def get(self, name: str) -> str:
        return self.inputs[name].value

    def context(self) -> dict[str, str | list[str]]:
        """The context of the request: the context keys and the region as
        ``aws:RequestedRegion`` (one value: see ``_one_region``)."""
        ctx = parse_context(self.get("context"))
        region = self.get("region").strip()
        if region:
            ctx = {k: v for k, v in ctx.items() if k.lower() != REGION_KEY.lower()}
            ctx[REGION_KEY] = region
        return ctx

    def _one_region(self) -> None:
        """A context that names ``aws:RequestedRegion`` moves it into the region field, so
        the field never shows one Region while the request carries another."""
        try:
            ctx = parse_context(self.get("context"))
        except UsageError:
            return
        key = next((k for k in ctx if k.lower() == REGION_KEY.lower()), None)
        if key is None or not isinstance(ctx[key], str):
            return
        region = ctx.pop(key)
        quiet, self._quiet = self._quiet, True
        try:
            self.inputs["region"].value = region
            self.inputs["context"].value = _context_text(ctx) if ctx else ""
        finally:
            self._quiet = quiet

    def context_help(self) -> list[KeyHelp]:
        """The keys the target's policies test for this action (``ask.context_help``)."""
        try:
            ctx = self.context()
        except UsageError:
            ctx = {}
        return context_help(self.model, self.get("target"), self.get("action"), ctx)

    def fill_context(self) -> None:
        """Add this organization's realistic values for the keys the request lacks."""
        try:
            ctx = parse_context(self.get("context"))
        except UsageError:
            ctx = {}
        have = {k.lower() for k in ctx}
        wanted = {h.key.lower() for h in self.context_help()}
        for key, value in org_defaults(self.model, self.get("target")).items():
            if key.lower() in wanted and key.lower() not in have:
                ctx[key] = value
        self.set(context=ctx)

    def override(self, policy: str, document: Mapping[str, Any] | None) -> None:
        """Decide with ``document`` in place of ``policy``'s rendered one (``None``: the
        spec's again). A document the engine cannot parse raises ``PolicySyntaxError``
        and leaves the playground as it was."""
        if policy not in self.base:
            raise UsageError(f"unknown policy {policy!r}", fix=f"use one of {', '.join(self.base)}")
        drafts = dict(self.drafts)
        if document is None:
            drafts.pop(policy, None)
        else:
            drafts[policy] = dict(document)
        self.model = self.bundle.with_drafts(drafts).model()
        self.drafts = drafts
        self.refresh()

    def decision_view(self) -> Any:
        """A widget showing the decision, kept current (the editor shows one beside it).
        Its content is an ``aria-live`` region, so screen readers announce each decision."""
        import ipywidgets as w

        view = w.HTML(value=self._html() if self._mirrors else "")
        view.add_class("aigov-decision")
        self._mirrors.append(view)
        return view

    def _show(self, html_text: str) -> None:
        for view in self._mirrors:
            view.value = html_text

    def refresh(self) -> Decision | None:
        """Check and decide the current request; on bad input keep ``error`` and no
        decision (``answer.problems`` says what to check)."""
        if not self._quiet:
            self._show(_live("<i>deciding&hellip;</i>", "busy"))
        self._one_region()
        try:
            self.answer = ask(self.model, self.get("target"), self.get("action"),
                              self.get("resource").strip() or "*",
                              self.get("region").strip() or None, self.context(),
                              self.get("principal").strip() or None)
            self.decision = self.answer.decision
            self.error = "\n".join(p.text() for p in self.answer.problems) or None
            if self.decision is None and not self.answer.problems:
                self.error = None
        except AigovError as exc:
            self.answer, self.decision, self.error = None, None, exc.render()
        self._show(self._html())
        self._help.value = self._help_html()
        return self.decision

    @property
    def deciding(self) -> str:
        """What decided, in the explanation's words (levels named, no internal ids)."""
        if self.answer is not None and self.answer.expanded:
            return self.answer.wildcard_summary()
        if self.answer is not None and self.answer.explanation is not None:
            return self.answer.explanation.summary
        return deciding(self.decision) if self.decision else ""

    @property
    def state(self) -> str:
        """``allow``, ``deny``, ``mixed`` (a wildcard action) or ``check``."""
        return self.answer.state if self.answer is not None else "check"

    # -- test cases ------------------------------------------------------------------------
    def case(self, name: str = "") -> dict[str, Any]:
        """The current request as a ``policies/tests`` case expecting its decision."""
        if self.decision is None:
            raise UsageError(f"no decision to record: {self.error or 'a wildcard action'}",
                             fix="correct the request; a case names one action")
        if self.drafts:
            raise UsageError(f"a draft of {', '.join(sorted(self.drafts))} is active: this "
                             "decision is the draft's, not the spec's",
                             fix="reset the draft (the editor's button) to record the spec's "
                                 "decision, or deploy the draft first")
        target = self.get("target")
        case: dict[str, Any] = {
            "name": name.strip() or f"{target.removeprefix('account:')} "
                                    f"{self.get('action').strip()} is {self.decision.decision}",
            "target": target.removeprefix("account:"),
            "action": self.get("action").strip(),
            "resource": self.get("resource").strip() or "*",
            "context": self.context(),
            "expect": self.decision.decision}
        if self.get("principal").strip():
            case["principal"] = self.get("principal").strip()
        return case

    def add_case(self, name: str = "", path: str | Path | None = None) -> Path:
        """Append the current request as a case to a policy-tests file (created with a
        ``cases:`` list when missing); comments and earlier cases are kept as written."""
        path = resolve(path) if path else self.cases_file
        append_case(path, self.case(name))
        return path

    def _on_add(self) -> None:
        try:
            path = self.add_case(self._case_name.value)
            self._added.value = f"added to {path}"
        except AigovError as exc:
            self._added.value = pre(exc.render())

    # -- views ---------------------------------------------------------------------------
    def _html(self) -> str:
        drafts = f"<div><i>with draft(s): {', '.join(self.drafts)}</i></div>" \
            if self.drafts else ""
        answer = self.answer
        if answer is None or answer.problems:
            problems = "".join(f"<li>{html.escape(p.text())}</li>"
                               for p in (answer.problems if answer else ()))
            body = f"<ul>{problems}</ul>" if problems else pre(self.error or "")
            return _live("<b style='color:#9a6700; font-size:1.2em'>CHECK THE REQUEST</b>"
                         f"{body}{drafts}", "check")
        colour = {"allow": "#1a7f37", "deny": "#b00020"}.get(answer.state, "#9a6700")
        head = (f"<b style='color:{colour}; font-size:1.2em'>{answer.state.upper()}</b> "
                f"<span class='aigov-deciding'>{html.escape(self.deciding)}</span>")
        body = pre(answer.wildcard_summary()) if answer.expanded else \
            answer.explanation.html() if answer.explanation else ""
        return _live(head + drafts + body, answer.state)

    def _help_html(self) -> str:
        rows = self.context_help()
        if not rows:
            return "<i>the target's policies test no condition keys for this action</i>"
        frame = pd.DataFrame([{"condition key": h.key, "tested by": ", ".join(h.policies),
                               "request value": "absent" if h.value is None else h.value,
                               "this organization's": h.suggested or ""} for h in rows])
        return "<b>Condition keys these policies test</b>" + table_html(frame)

    def frame(self) -> pd.DataFrame:
        """The request's inputs, then the decision and the statement that decided."""
        rows = [(name, str(self.get(name))) for name in self.inputs]
        if self.answer is not None and not self.answer.problems:
            rows += [("decision", self.answer.state), ("deciding", self.deciding)]
        else:
            rows += [("check the request", self.error or "")]
        if self.drafts:
            rows.append(("drafts", ", ".join(self.drafts)))
        return kv_frame(rows)

    def static(self) -> Static:
        answer = self.answer
        explanation = answer.text() if answer is not None else (self.error or "")
        return Static(self.frame(), explanation)


def _context_text(ctx: Mapping[str, Any]) -> str:
    return json.dumps(dict(ctx))


def _live(body: str, state: str) -> str:
    """The decision inside an ``aria-live`` region, so it is announced as it changes."""
    return (f"<div role='status' aria-live='polite' class='aigov-state-{state}'>{body}</div>")
