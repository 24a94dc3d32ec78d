"""The policy playground: a request made from an OU or account, decided as you type.

The inputs are a target (OU path or account), an action (completed from the IAM
catalogue), a resource ARN, a region, an optional principal and context keys (JSON or
a YAML flow mapping, as in ``policies/tests/*.yaml``). Every change decides again with
``OrgModel`` (the same engine as ``aigov test-policies``) and shows the decision, the
deciding statement and the explanation. "Add as test case" appends the request, with
the decision it got as its expectation, to a policy-tests file: what a team agreed on
in the session becomes a test that guards it.

A ``PolicyEditor`` draft replaces one policy's rendered document (``override``), so the
decisions follow the draft before anything is deployed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from aigov.errors import AigovError, SpecError, UsageError
from aigov.paths import resolve
from aigov.policy.evaluate import Decision
from aigov.policy.render import RenderedPolicy, minify, render_spec
from aigov.policy.simulate import OrgModel, load_cases, tests_dir
from aigov.spec.model import Spec
from aigov.widgets.catalogue import complete_action, known_action
from aigov.widgets.tree import node_label, tree_order
from aigov.widgets.view import Static, View, pre

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

    def __init__(self, spec: Spec, *, cases_file: str | Path | None = None,
                 rendered: Mapping[str, RenderedPolicy] | None = None, **request: Any) -> None:
        import ipywidgets as w

        self.spec = spec
        self.base = dict(rendered) if rendered is not None else render_spec(spec)
        self.drafts: dict[str, dict[str, Any]] = {}
        self.model = OrgModel(spec, rendered=self.base)
        self.decision: Decision | None = None
        self.error: str | None = None
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
        self.inputs["action"].add_class("aigov-action")
        self.inputs["target"].add_class("aigov-target")
        self.inputs["context"].add_class("aigov-context")
        self._output = w.HTML()
        self._output.add_class("aigov-decision")
        self._case_name = w.Text(placeholder="case name (default: the request)",
                                 description="case", layout=wide)
        self._add = w.Button(description="Add as test case", icon="plus",
                              layout=w.Layout(width="auto"))
        self._added = w.HTML()
        self._add.on_click(lambda _: self._on_add())
        self.widget = w.VBox([*self.inputs.values(), self._output,
                              w.HBox([self._case_name, self._add]), self._added])
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
                    value = yaml.safe_dump(dict(value), default_flow_style=True).strip()
                self.inputs[name].value = value
        finally:
            self._quiet = quiet
        if not quiet:
            self.refresh()

    def get(self, name: str) -> str:
        return self.inputs[name].value

    def context(self) -> dict[str, str | list[str]]:
        """The context of the request: the context keys, plus the region as
        ``aws:RequestedRegion`` unless the keys give it."""
        ctx = parse_context(self.get("context"))
        region = self.get("region").strip()
        if region and not any(k.lower() == REGION_KEY.lower() for k in ctx):
            ctx[REGION_KEY] = region
        return ctx

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
        rendered = {n: replace(r, document=drafts[n], text=minify(drafts[n]))
                    if n in drafts else r for n, r in self.base.items()}
        self.model = OrgModel(self.spec, rendered=rendered)
        self.drafts = drafts
        self.refresh()

    def refresh(self) -> Decision | None:
        """Decide the current request; on bad input keep ``error`` and no decision."""
        try:
            self.decision = self.model.simulate(
                self.get("target"), self.get("action").strip(), self.get("resource").strip() or "*",
                self.context(), self.get("principal").strip() or None)
            self.error = None
        except AigovError as exc:
            self.decision, self.error = None, exc.render()
        self._output.value = self._html()
        return self.decision

    @property
    def deciding(self) -> str:
        return deciding(self.decision) if self.decision else ""

    # -- test cases ------------------------------------------------------------------------
    def case(self, name: str = "") -> dict[str, Any]:
        """The current request as a ``policies/tests`` case expecting its decision."""
        if self.decision is None:
            raise UsageError(f"no decision to record: {self.error}", fix="correct the request")
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
        if self.decision is None:
            return f"<b style='color:#b00'>cannot decide</b>{pre(self.error or '')}"
        colour = "#1a7f37" if self.decision.allowed else "#b00020"
        note = "" if known_action(self.get("action")) else \
            "<br><i>the action is not in the IAM catalogue</i>"
        drafts = f"<br><i>with draft(s): {', '.join(self.drafts)}</i>" if self.drafts else ""
        return (f"<b style='color:{colour}; font-size:1.2em'>{self.decision.decision.upper()}"
                f"</b> <span class='aigov-deciding'>{self.deciding}</span>{note}{drafts}"
                f"{pre(self.decision.explain())}")

    def frame(self) -> pd.DataFrame:
        """The request's inputs, then the decision and the statement that decided."""
        rows = [(name, str(self.get(name))) for name in self.inputs]
        if self.decision is not None:
            rows += [("decision", self.decision.decision), ("deciding", self.deciding)]
        else:
            rows += [("error", self.error or "")]
        if self.drafts:
            rows.append(("drafts", ", ".join(self.drafts)))
        return pd.DataFrame(rows, columns=["field", "value"])

    def static(self) -> Static:
        explanation = self.decision.explain() if self.decision else (self.error or "")
        return Static(self.frame(), explanation)


def append_case(path: Path, case: dict[str, Any]) -> None:
    """Append one case to ``path`` as text, then read the file back with the policy-tests
    loader, so a file that would not load is never left behind."""
    before = path.read_text(encoding="utf-8") if path.is_file() else None
    item = yaml.safe_dump([case], sort_keys=False, default_flow_style=None, width=1000)
    if before is None or not before.strip():
        text = "# Cases recorded in onboarding sessions (aigov lab, the policy playground).\n" \
               "cases:\n"
        indent = "  "
    else:
        indent = _items_indent(path, before)
        text = before if before.endswith("\n") else before + "\n"
    text += "".join(indent + line + "\n" for line in item.splitlines())
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    try:
        load_cases(path)
    except SpecError:
        if before is None:
            path.unlink()
        else:
            path.write_text(before, encoding="utf-8")
        raise


def _items_indent(path: Path, text: str) -> str:
    """The indentation of the ``cases:`` items, which must be the file's last key."""
    node = yaml.compose(text)
    value = None
    if isinstance(node, yaml.MappingNode) and node.value:
        key, value = node.value[-1]
        if key.value != "cases":
            value = None
    if not isinstance(value, yaml.SequenceNode) or value.flow_style:
        raise SpecError("cannot append: the file's last key is not a block list `cases:`",
                        file=str(path), fix="move `cases:` to the end, or choose another file")
    return " " * (value.value[0].start_mark.column - 2 if value.value else 2)
