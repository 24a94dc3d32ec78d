"""Effective management policies (AI opt-out, tag, Bedrock, backup), computed offline.

AWS Organizations User Guide, "Policy syntax and inheritance for management policy
types", "Inheritance operators" and "Inheritance examples":

- Policies merge from the root down through each OU to the account; at one level they
  merge in the order they were attached (the spec's order of policies).
- ``@@assign`` overwrites an inherited setting (a single value, or a whole list) and adds
  it when not inherited; ``@@append`` adds values to an inherited list (or creates it);
  ``@@remove`` takes values out of an inherited list. ``@@append`` and ``@@remove`` work
  on multi-valued settings only.
- ``@@operators_allowed_for_child_policies`` (``["@@all"]``, ``["@@none"]`` or a list of
  value-setting operators) limits what policies *below* it may do to that setting and to
  everything under it; "if an inherited child control operator limits the use of an
  operator, you can't reverse that rule in a child policy". A child's disallowed
  operator is ignored (example 4: "policy F attempts to change the case treatment, but
  it can't"), and recorded in ``ignored`` so it can be shown.
- Child control operators of policies attached at the same level intersect (example 5).
- Conflicting assignments at the same level: the policy attached first wins (example 6).
- The effective policy holds plain values, no operators; a list emptied by ``@@remove``
  is left out (example 3: "Compliance is not enforced").

Settings merge key by key at every depth, so a Bedrock policy's Regions (and a backup
policy's plans) merge one by one. Two of the documented examples print results that
contradict their own text (example 4 shows ``"project"`` for a key the text says cannot
change from ``"Project"``; example 6 lists a value no policy sets): the tests follow the
text and say so. Contract: docs/contracts/effective-policies.md.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from aigov.errors import UsageError
from aigov.policy.bundle import Bundle
from aigov.policy.types import MANAGEMENT_TYPES
from aigov.spec.model import Spec
from aigov.spec.targets import AmbiguousTarget

VALUE_OPERATORS = ("@@assign", "@@append", "@@remove")
CHILD_CONTROL = "@@operators_allowed_for_child_policies"
ALL = frozenset(VALUE_OPERATORS)

Path = tuple[str, ...]


@dataclass(frozen=True)
class Ignored:
    """A child policy's operation the inheritance rules threw away, and why."""

    level: str
    policy: str
    path: Path
    operator: str
    reason: str

    def describe(self) -> str:
        return (f"{self.policy} at {self.level}: {self.operator} on "
                f"{'.'.join(self.path) or '(top)'} ignored: {self.reason}")


@dataclass
class EffectivePolicy:
    """What applies to one target: ``content`` (as DescribeEffectivePolicy shows it) and
    the operations that were ignored on the way down."""

    policy_type: str
    target: str
    content: dict[str, Any]
    ignored: list[Ignored] = field(default_factory=list)

    def describe(self, target_id: str | None = None) -> dict[str, Any]:
        """DescribeEffectivePolicy's response shape (Organizations API reference)."""
        return {"EffectivePolicy": {
            "PolicyContent": json.dumps(self.content, sort_keys=True, separators=(",", ":")),
            "TargetId": target_id or self.target, "PolicyType": self.policy_type}}


class _Merger:
    def __init__(self) -> None:
        self.settings: dict[Path, Any] = {}
        self.allowed: dict[Path, frozenset[str]] = {}
        self.ignored: list[Ignored] = []

    def allowed_at(self, path: Path) -> frozenset[str]:
        got = ALL
        for n in range(len(path) + 1):
            got = got & self.allowed.get(path[:n], ALL)
        return got

    def level(self, level: str, policies: Sequence[tuple[str, dict[str, Any]]]) -> None:
        controls: dict[Path, frozenset[str]] = {}
        assigned: set[Path] = set()
        for name, document in policies:
            self._walk(level, name, document, (), controls, assigned)
        for path, ops in controls.items():
            self.allowed[path] = self.allowed.get(path, ALL) & ops

    def _walk(self, level: str, name: str, node: dict[str, Any], path: Path,
              controls: dict[Path, frozenset[str]], assigned: set[Path]) -> None:
        for key, value in node.items():
            if key == CHILD_CONTROL:
                controls[path] = controls.get(path, ALL) & _child_ops(value)
            elif key in VALUE_OPERATORS:
                self._apply(level, name, path, key, value, assigned)
            elif key.startswith("@@"):
                continue  # an unknown operator: lint reports it
            elif isinstance(value, dict):
                self._walk(level, name, value, (*path, key), controls, assigned)
            else:
                self._apply(level, name, (*path, key), "@@assign", value, assigned)

    def _apply(self, level: str, name: str, path: Path, op: str, value: Any,
               assigned: set[Path]) -> None:
        def ignore(reason: str) -> None:
            self.ignored.append(Ignored(level, name, path, op, reason))

        if op not in self.allowed_at(path):
            return ignore("a parent policy does not allow it "
                          f"({CHILD_CONTROL}: {sorted(self.allowed_at(path)) or ['@@none']})")
        current = self.settings.get(path)
        if op == "@@assign":
            if path in assigned:
                return ignore("a policy attached earlier at the same level assigned it")
            assigned.add(path)
            for sub in [p for p in self.settings if p[:len(path)] == path and p != path]:
                del self.settings[sub]
            self.settings[path] = copy.deepcopy(value)
            return None
        items = value if isinstance(value, list) else [value]
        if current is not None and not isinstance(current, list):
            return ignore(f"{op} works on multi-valued settings only")
        if op == "@@append":
            base = list(current or [])
            self.settings[path] = base + [v for v in items if v not in base]
        elif current is not None:
            self.settings[path] = [v for v in current if v not in items]
        return None

    def content(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for path, value in self.settings.items():
            if value == [] or not path:
                continue
            node = out
            for key in path[:-1]:
                nxt = node.setdefault(key, {})
                if not isinstance(nxt, dict):
                    break
                node = nxt
            else:
                node[path[-1]] = copy.deepcopy(value)
        return out


def _child_ops(value: Any) -> frozenset[str]:
    ops = set(value if isinstance(value, list) else [value])
    if "@@all" in ops:
        return ALL
    return frozenset(o for o in ops if o in VALUE_OPERATORS)  # "@@none" -> nothing


def effective_policy(levels: Iterable[tuple[str, Sequence[tuple[str, dict[str, Any]]]]],
                     policy_type: str, target: str = "") -> EffectivePolicy:
    """Merge ``levels`` (Root first, the target last), each a list of ``(policy name,
    document)`` in attachment order, into the target's effective policy.

    >>> root = [("A", {"tags": {"cc": {"tag_key": {"@@assign": "CostCenter"}}}})]
    >>> effective_policy([("Root", root)], "TAG_POLICY").content
    {'tags': {'cc': {'tag_key': 'CostCenter'}}}
    """
    merger = _Merger()
    last = ""
    for level, policies in levels:
        merger.level(level, [(n, d) for n, d in policies if isinstance(d, dict)])
        last = level
    return EffectivePolicy(policy_type, target or last, merger.content(), merger.ignored)


def spec_levels(spec: Spec | Bundle, target: str, policy_type: str,
                documents: dict[str, dict[str, Any]] | None = None,
                ) -> list[tuple[str, list[tuple[str, dict[str, Any]]]]]:
    """The spec's policies of ``policy_type`` on the path from Root to ``target`` (an
    account name or id, an OU path, or Root), in the spec's order: from ``documents``
    when given, else rendered by the bundle (each policy once, only those on the path)."""
    bundle = Bundle.of(spec)
    levels = []
    for level in bundle.spec.levels(target):
        docs = []
        for p in bundle.spec.policies_at(level):
            if p.type == policy_type:
                doc = (documents or {}).get(p.name)
                docs.append((p.name, doc if doc is not None else bundle.document(p.name)))
        levels.append((level, docs))
    return levels


def spec_effective_policy(spec: Spec | Bundle, target: str, policy_type: str,
                          documents: dict[str, dict[str, Any]] | None = None,
                          ) -> EffectivePolicy:
    """What AWS's DescribeEffectivePolicy would say for ``target`` once the spec is
    applied. Raises ``UsageError`` for an unknown target or a type without inheritance."""
    if policy_type not in MANAGEMENT_TYPES:
        raise UsageError(f"{policy_type} has no effective policy",
                         fix=f"use one of {', '.join(MANAGEMENT_TYPES)} (SCPs and RCPs are "
                         "evaluated per request: aigov simulate)")
    try:
        levels = spec_levels(spec, target, policy_type, documents)
    except AmbiguousTarget as exc:
        raise UsageError(f"{target!r} is the name of {len(exc.ids)} accounts "
                         f"({', '.join(exc.ids)})", location="--account",
                         fix=f"use the account id: one of {', '.join(exc.ids)}") from None
    except KeyError:
        raise UsageError(f"unknown target {target!r}", location="--account",
                         fix="give an account name or 12-digit id from the spec") from None
    return effective_policy(levels, policy_type, target=levels[-1][0])

