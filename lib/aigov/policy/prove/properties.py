"""Properties: ``policies/properties/*.yaml`` and the batch form's ``property`` object.

docs/contracts/properties.md is the contract. One addition of ours: ``outcome:
refuted`` marks a property the guardrails are *known* to break (a documented gap, such as
the seed's allow-list that restricts nothing): it passes when it is refuted with a
confirmed counterexample and fails, asking for the mark to go, once it is proven.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from aigov.errors import SpecError
from aigov.policy.prove.actions import globs_bits
from aigov.policy.prove.request import Constraint

EXPECTS = ("never-denied", "always-denied")
OUTCOMES = ("proven", "refuted")
PROPERTY_KEYS = {"expect", "principal", "action", "resource", "context"}
FILE_KEYS = PROPERTY_KEYS | {"name", "targets", "outcome", "description"}
CONSTRAINT_KINDS = ("in", "not_in", "like", "absent", "present")
DEFAULT_PRINCIPAL = "arn:aws:iam::${account}:role/*"
BATCH_ACCOUNT = "111122223333"


class BadProperty(ValueError):
    """A property that does not follow the contract; ``key`` says where."""

    def __init__(self, message: str, key: str, fix: str = "") -> None:
        super().__init__(message)
        self.key = key
        self.fix = fix


@dataclass(frozen=True)
class Property:
    """One property; ``principal`` still holds ``${account}`` (filled per account)."""

    expect: str
    principal: str
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    context: Mapping[str, Constraint]
    names: Mapping[str, str] = field(default_factory=dict)  # lower-case key -> as written
    name: str = ""
    targets: tuple[str, ...] = ()
    outcome: str = "proven"
    file: str = ""
    line: int | None = None
    index: int = 0

    @property
    def where(self) -> str:
        return f"line {self.line}, [{self.index}]" if self.line else f"[{self.index}]"


def _globs(raw: Any, key: str) -> tuple[str, ...]:
    items = [raw] if isinstance(raw, str) else raw
    if not isinstance(items, list) or not items or not all(
            isinstance(x, str) and x for x in items):
        raise BadProperty(f"{key} must be a non-empty glob or a list of them", key,
                          f'write e.g. {key}: "*"')
    return tuple(items)


def constraint(raw: Any, key: str) -> Constraint:
    """``{in: [...]}``, ``{not_in: [...]}``, ``{like: glob}``, ``{absent: true}``,
    ``{present: true}`` or a plain string (= ``{in: [it]}``)."""
    if isinstance(raw, str):
        return Constraint("in", (raw,))
    fix = "use {in: [...]}, {not_in: [...]}, {like: '<glob>'}, {absent: true} or {present: true}"
    if not isinstance(raw, dict) or len(raw) != 1:
        raise BadProperty("a constraint is a string or an object with one of "
                          + ", ".join(CONSTRAINT_KINDS), key, fix)
    kind, value = next(iter(raw.items()))
    if kind in ("in", "not_in"):
        if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
            raise BadProperty(f"{kind} takes a non-empty list of strings", key,
                              "quote numbers and booleans: [\"true\"]")
        return Constraint(kind, tuple(value))
    if kind == "like":
        if not isinstance(value, str):
            raise BadProperty("like takes one glob string", key, fix)
        return Constraint("like", (value,))
    if kind in ("absent", "present"):
        if value is not True:
            raise BadProperty(f"{kind} takes true", key, f"write {{{kind}: true}}")
        return Constraint(kind)
    raise BadProperty(f"unknown constraint {kind!r}", key, fix)


def parse_property(raw: Any, *, batch: bool, prefix: str = "") -> Property:
    """The contract's fields of one property (``batch``: ``${account}`` is 111122223333)."""
    if not isinstance(raw, dict):
        raise BadProperty("a property is an object", prefix or "property")
    allowed = PROPERTY_KEYS if batch else FILE_KEYS
    unknown = set(raw) - allowed
    if unknown:
        raise BadProperty(f"unknown key(s) {', '.join(sorted(map(str, unknown)))}",
                          prefix + sorted(map(str, unknown))[0],
                          f"use {', '.join(sorted(allowed))}")
    expect = raw.get("expect")
    if expect not in EXPECTS:
        raise BadProperty(f"expect is {expect!r}", prefix + "expect",
                          "write expect: never-denied or expect: always-denied")
    principal = raw.get("principal", DEFAULT_PRINCIPAL)
    if not isinstance(principal, str) or not principal:
        raise BadProperty("principal must be a non-empty glob", prefix + "principal")
    if batch:
        principal = principal.replace("${account}", BATCH_ACCOUNT)
    actions = _globs(raw.get("action", "*"), prefix + "action")
    for a in actions:
        if not globs_bits([a]):
            raise BadProperty(f"action {a!r} matches no action of the IAM catalogue",
                              prefix + "action", "check the spelling: service:Action, "
                              "wildcards * and ?")
    resources = _globs(raw.get("resource", "*"), prefix + "resource")
    ctx = raw.get("context") or {}
    if not isinstance(ctx, dict):
        raise BadProperty("context maps condition keys to constraints", prefix + "context")
    context: dict[str, Constraint] = {}
    names: dict[str, str] = {}
    for k, v in ctx.items():
        if not isinstance(k, str) or not k:
            raise BadProperty("a context key is a non-empty string", prefix + "context")
        context[k.lower()] = constraint(v, f"{prefix}context.{k}")
        names[k.lower()] = k
    return Property(expect, principal, actions, resources, context, names)


def _item_lines(text: str) -> list[int]:
    node = yaml.compose(text)
    if isinstance(node, yaml.SequenceNode):
        return [item.start_mark.line + 1 for item in node.value]
    return []


def load_properties(path: Path) -> list[Property]:
    """One properties file (a YAML list); ``SpecError`` names file, line and key."""
    text = path.read_text(encoding="utf-8")
    try:
        data = yaml.safe_load(text)
        lines = _item_lines(text)
    except yaml.YAMLError as exc:
        raise SpecError(f"not valid YAML: {exc}", file=str(path), fix="fix the YAML syntax"
                        ) from None
    if not isinstance(data, list):
        raise SpecError("a properties file is a YAML list of properties", file=str(path),
                        fix="start each property with '- name: ...'")
    out = []
    for i, raw in enumerate(data):
        line = lines[i] if i < len(lines) else None
        where = f"line {line}, [{i}]" if line else f"[{i}]"
        try:
            prop = parse_property(raw, batch=False)
            name, targets = raw.get("name"), raw.get("targets")
            if not isinstance(name, str) or not name:
                raise BadProperty("missing or empty name", "name", "add name: <what it says>")
            if (not isinstance(targets, list) or not targets
                    or not all(isinstance(t, str) and t for t in targets)):
                raise BadProperty("targets must be a non-empty list", "targets",
                                  "write targets: [Root] (OU paths, account names or ids)")
            outcome = raw.get("outcome", "proven")
            if outcome not in OUTCOMES:
                raise BadProperty(f"outcome is {outcome!r}", "outcome",
                                  "write outcome: refuted for a known gap, or leave it out")
        except BadProperty as exc:
            raise SpecError(str(exc), file=str(path), location=f"{where}.{exc.key}",
                            fix=exc.fix or "see docs/contracts/properties.md") from None
        out.append(Property(prop.expect, prop.principal, prop.actions, prop.resources,
                            prop.context, prop.names, name=name, targets=tuple(targets),
                            outcome=outcome, file=str(path), line=line, index=i))
    names = [p.name for p in out]
    for p in out:
        if names.count(p.name) > 1:
            raise SpecError(f"property name {p.name!r} is used twice", file=str(path),
                            location=f"{p.where}.name", fix="give each property its own name")
    return out
