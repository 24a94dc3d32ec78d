"""Explain a decision down to the condition and the request value that decided it.

``Decision`` (aigov.policy.evaluate) names *which* statement decided; a newcomer also
needs to see *why*: the statement's text, the element that matched (Action or NotAction,
Resource or NotResource) and, for each condition, the key, the operator, the policy's
values, the request's values and whether it held. This module rebuilds that from the
compiled policies of the chain the evaluator used, without touching the evaluator's hot
path (a matrix makes millions of decisions and explains a handful).

Terms a reader does not know are avoided: levels are named ``Root``, an OU path, or
``account ai-dev``; statements by their ``Sid`` where they have one. For an allow, one
line per level names what allowed it, and FullAWSAccess everywhere is folded into
"FullAWSAccess at every level".

The explanation is data (``to_dict``), text (``text()``) and HTML (``html()``); the CLI's
``aigov simulate``, the playground, notebook 04 and the gate show the same one.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aigov.policy.evaluate import Chain, Decision, Hit, Request
from aigov.policy.parse import Policy, Statement

FULL_ACCESS = ("FullAWSAccess", "RCPFullAWSAccess")


def level_name(label: str) -> str:
    """``account:ai-dev`` -> ``account ai-dev``; OU paths and Root stay as they are."""
    if label.startswith("account:"):
        return "account " + label.removeprefix("account:")
    if label == "management":
        return "the management account"
    return label


@dataclass(frozen=True)
class ConditionCheck:
    """One condition key under one operator, evaluated against the request."""

    operator: str
    key: str
    policy_values: tuple[str, ...]
    request_values: tuple[str, ...] | None  # None: the key is absent from the request
    held: bool

    def text(self) -> str:
        if self.request_values is None:
            got = "the request does not carry the key"
        else:
            one = len(self.request_values) == 1
            got = f"the request has {self.request_values[0] if one else list(self.request_values)!r}"
        vals = self.policy_values[0] if len(self.policy_values) == 1 else list(self.policy_values)
        verdict = "matched" if self.held else "did not match"
        return f"{self.operator} {self.key} {vals!r}: {got}, {verdict}"

    def to_dict(self) -> dict[str, Any]:
        return {"operator": self.operator, "key": self.key,
                "policy_values": list(self.policy_values),
                "request_values": None if self.request_values is None
                else list(self.request_values), "matched": self.held}


@dataclass(frozen=True)
class StatementView:
    """The statement that decided, with what in it matched the request."""

    kind: str
    level: str
    policy: str
    description: str
    index: int
    sid: str
    effect: str
    source: str  # the statement's JSON, pretty-printed
    element: str  # Action or NotAction that matched
    resource_element: str  # Resource or NotResource
    conditions: tuple[ConditionCheck, ...] = ()

    @property
    def name(self) -> str:
        return f"statement {self.sid!r}" if self.sid else f"statement {self.index + 1}"

    def text(self) -> str:
        head = f"{self.kind} {self.policy!r} at {level_name(self.level)}, {self.name}"
        lines = [head]
        if self.description:
            lines.append(f"  policy: {self.description}")
        lines.append(f"  {self.effect} because {self.element} and {self.resource_element} "
                     "match the request" + (" and every condition holds:" if self.conditions
                                            else ""))
        lines += [f"    - {c.text()}" for c in self.conditions]
        lines.append("  statement:")
        lines += ["    " + line for line in self.source.splitlines()]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.kind, "level": level_name(self.level), "policy": self.policy,
                "description": self.description, "statement": self.index, "sid": self.sid,
                "effect": self.effect, "element": self.element,
                "resource_element": self.resource_element, "source": self.source,
                "conditions": [c.to_dict() for c in self.conditions]}


@dataclass(frozen=True)
class Explanation:
    """A decision explained: one summary line, then the detail a reader needs."""

    decision: str
    basis: str
    summary: str
    deny: StatementView | None = None
    missing: dict[str, Any] | None = None
    allows: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    def text(self) -> str:
        lines = [f"{self.decision.upper()}: {self.summary}"]
        if self.deny is not None:
            lines.append(self.deny.text())
        if self.missing is not None:
            lines.append(f"  attached at {self.missing['level']}: "
                         f"{', '.join(self.missing['attached']) or 'nothing'}")
        lines += [f"  {line}" for line in self.allows]
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"decision": self.decision, "basis": self.basis,
                               "summary": self.summary}
        if self.deny is not None:
            out["deny"] = self.deny.to_dict()
        if self.missing is not None:
            out["missing_allow"] = self.missing
        if self.allows:
            out["allows"] = list(self.allows)
        if self.notes:
            out["notes"] = list(self.notes)
        return out

    def html(self) -> str:
        """The explanation for a widget: the deciding element highlighted."""
        esc = html.escape
        parts = [f"<div class='aigov-summary'>{esc(self.summary)}</div>"]
        if self.deny is not None:
            d = self.deny
            parts.append(f"<div><b>{esc(d.kind)} {esc(d.policy)}</b> at "
                         f"{esc(level_name(d.level))}, {esc(d.name)}"
                         + (f" &mdash; <i>{esc(d.description)}</i>" if d.description else "")
                         + "</div>")
            if d.conditions:
                rows = "".join(
                    f"<tr><td>{esc(c.key)}</td><td>{esc(c.operator)}</td>"
                    f"<td>{esc(', '.join(c.policy_values))}</td>"
                    f"<td class='aigov-request-value'>"
                    f"{esc('absent' if c.request_values is None else ', '.join(c.request_values))}"
                    f"</td><td>{'matched' if c.held else 'did not match'}</td></tr>"
                    for c in d.conditions)
                parts.append("<table class='aigov-conditions' style='text-align:left'>"
                             "<tr><th>condition key</th><th>operator</th><th>policy values</th>"
                             "<th>request value</th><th></th></tr>" + rows + "</table>")
            parts.append("<pre style='white-space:pre-wrap;margin:0'>"
                         + _highlight(d.source, (d.element, d.resource_element, "Condition"))
                         + "</pre>")
        if self.missing is not None:
            parts.append(f"<div>attached at {esc(self.missing['level'])}: "
                         f"{esc(', '.join(self.missing['attached']) or 'nothing')}</div>")
        parts += [f"<div>{esc(line)}</div>" for line in self.allows]
        parts += [f"<div><i>{esc(n)}</i></div>" for n in self.notes]
        return "".join(parts)


def _highlight(source: str, elements: tuple[str, ...]) -> str:
    out = []
    for line in source.splitlines():
        text = html.escape(line)
        if any(line.lstrip().startswith(f'"{e}"') for e in elements):
            text = f"<mark>{text}</mark>"
        out.append(text)
    return "\n".join(out)


def _statement_source(policy: Policy, index: int) -> dict[str, Any]:
    raw = policy.document.get("Statement")
    items = raw if isinstance(raw, list) else [raw]
    return items[index] if 0 <= index < len(items) and isinstance(items[index], dict) else {}


def _conditions(stmt: Statement, req: Request) -> tuple[ConditionCheck, ...]:
    return tuple(ConditionCheck(operator=c.operator, key=c.key, policy_values=c.values,
                                request_values=req.context.get(c.key_lower) or None,
                                held=c.holds(req.context))
                 for c in stmt.conditions)


def _view(hit: Hit, chains: Mapping[str, Chain], req: Request,
          descriptions: Mapping[str, str]) -> StatementView | None:
    chain = chains.get(hit.kind)
    if chain is None or hit.depth >= len(chain.levels):
        return None
    policy = next((p for p in chain.levels[hit.depth].policies if p.name == hit.policy), None)
    if policy is None or hit.statement >= len(policy.statements):
        return None
    stmt = policy.statements[hit.statement]
    raw = _statement_source(policy, hit.statement)
    return StatementView(
        kind=hit.kind, level=hit.level, policy=hit.policy,
        description=descriptions.get(hit.policy, _builtin(hit.policy)),
        index=hit.statement, sid=hit.sid, effect=stmt.effect,
        source=json.dumps(raw, indent=2),
        element="NotAction" if stmt.not_action else "Action",
        resource_element="NotResource" if stmt.not_resource else "Resource",
        conditions=_conditions(stmt, req))


def _builtin(name: str) -> str:
    if name == "FullAWSAccess":
        return "AWS-managed SCP that allows every action"
    if name == "RCPFullAWSAccess":
        return "AWS-managed RCP that allows every action (always attached)"
    return ""


def _allow_lines(decision: Decision) -> tuple[str, ...]:
    """One line per policy type and level; FullAWSAccess everywhere folded into one."""
    lines: list[str] = []
    for kind in dict.fromkeys(h.kind for h in decision.allows):
        hits = [h for h in decision.allows if h.kind == kind]
        if all(h.policy in FULL_ACCESS for h in hits):
            lines.append(f"{kind}: {hits[0].policy} at every level")
            continue
        for h in hits:
            what = h.policy + (f" ({h.sid})" if h.sid else "")
            lines.append(f"{kind} at {level_name(h.level)}: allowed by {what}")
    return tuple(lines)


def explain(decision: Decision, request: Request, chains: Mapping[str, Chain | None],
            descriptions: Mapping[str, str] | None = None) -> Explanation:
    """Explain ``decision`` for ``request`` under ``chains`` (``{"SCP": chain, "RCP": chain}``,
    as the evaluator used them); ``descriptions`` maps policy names to their descriptions."""
    live = {k: c for k, c in chains.items() if c is not None}
    descriptions = descriptions or {}
    if decision.basis == "exempt":
        return Explanation(decision.decision, decision.basis,
                           "not restricted: " + "; ".join(decision.notes),
                           notes=decision.notes)
    if decision.deny is not None:
        view = _view(decision.deny, live, request, descriptions)
        name = view.name if view else f"statement {decision.deny.statement + 1}"
        summary = (f"denied by {decision.deny.kind} {decision.deny.policy!r} ({name}) "
                   f"at {level_name(decision.deny.level)}")
        return Explanation(decision.decision, decision.basis, summary, deny=view,
                           notes=decision.notes)
    if decision.missing is not None:
        kind, level, names, _ = decision.missing
        summary = (f"denied: no {kind} at {level_name(level)} allows this request "
                   "(every level from Root down needs an Allow)")
        return Explanation(decision.decision, decision.basis, summary,
                           missing={"type": kind, "level": level_name(level),
                                    "attached": list(names)}, notes=decision.notes)
    lines = _allow_lines(decision)
    summary = "allowed: every level allows it and nothing denies it" if lines else \
        "allowed: no SCPs or RCPs apply"
    return Explanation(decision.decision, decision.basis, summary, allows=lines,
                       notes=decision.notes)
