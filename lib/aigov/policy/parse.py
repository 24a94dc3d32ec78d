"""Parse SCP and RCP documents into compiled policies, once, for many evaluations.

The grammar is the IAM policy language as SCPs and RCPs accept it (AWS Organizations
User Guide, "SCP syntax" and "RCP syntax"; since September 2025 SCPs take the full
language: conditions and resource ARNs in Allow statements, NotResource, wildcards
anywhere in action names). ``Statement`` is an object or a list; ``Principal`` and
``NotPrincipal`` exist only in RCPs, where ``Principal`` must be ``"*"``. A malformed
document raises ``PolicySyntaxError`` naming the policy, the statement and the element.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from aigov.errors import InputError, PolicySyntaxError
from aigov.inputs import load_json
from aigov.policy.conditions import Condition, ConditionError, parse_condition_block
from aigov.policy.match import Context, PatternSet, pattern
from aigov.policy.types import SCP

VERSIONS = ("2012-10-17", "2008-10-17")
STATEMENT_KEYS = {"Sid", "Effect", "Action", "NotAction", "Resource", "NotResource",
                  "Principal", "NotPrincipal", "Condition"}


@dataclass(frozen=True, slots=True)
class Statement:
    """One compiled statement. ``index`` is its position in the policy (0-based)."""

    index: int
    sid: str
    effect: str
    actions: PatternSet
    not_action: bool
    resources: PatternSet
    not_resource: bool
    conditions: tuple[Condition, ...]

    def label(self) -> str:
        return f"statement {self.index}" + (f" ({self.sid})" if self.sid else "")

    def action_matches(self, action: str) -> bool:
        return self.actions.matches(action) != self.not_action

    def applies(self, resource: str, ctx: Context) -> bool:
        """Resource and conditions (the action was checked first, through the index)."""
        if self.resources.matches(resource, ctx) == self.not_resource:
            return False
        return all(c.holds(ctx) for c in self.conditions)


@dataclass(eq=False)
class Policy:
    """A compiled policy: its statements split by effect, and a per-action index."""

    name: str
    type: str
    document: dict[str, Any]
    statements: tuple[Statement, ...]
    _by_action: dict[str, tuple[tuple[Statement, ...], tuple[Statement, ...]]] = field(
        default_factory=dict, repr=False)

    def candidates(self, action: str) -> tuple[tuple[Statement, ...], tuple[Statement, ...]]:
        """``(denies, allows)`` whose Action/NotAction match ``action`` (lower case).

        Cached per action: a matrix asks the same actions of the same policy many times.
        """
        hit = self._by_action.get(action)
        if hit is None:
            denies = tuple(s for s in self.statements
                           if s.effect == "Deny" and s.action_matches(action))
            allows = tuple(s for s in self.statements
                           if s.effect == "Allow" and s.action_matches(action))
            hit = self._by_action[action] = (denies, allows)
        return hit


def _fail(name: str, message: str, *, statement: int | None = None,
          element: str | None = None, fix: str | None = None) -> PolicySyntaxError:
    where = [f"policy {name!r}"]
    if statement is not None:
        where.append(f"statement {statement}")
    if element:
        where.append(element)
    return PolicySyntaxError(f"{', '.join(where)}: {message}", location=None, fix=fix)


def _strings(name: str, i: int, element: str, raw: Any) -> list[str]:
    items = raw if isinstance(raw, list) else [raw]
    if not items:
        raise _fail(name, f"{element} is an empty list", statement=i, element=element,
                    fix="list at least one value, or \"*\"")
    if not all(isinstance(x, str) and x for x in items):
        raise _fail(name, f"{element} must be a string or a list of non-empty strings",
                    statement=i, element=element)
    return items


def _one_of(name: str, i: int, stmt: dict[str, Any], a: str, b: str,
            required: bool = True) -> str | None:
    if a in stmt and b in stmt:
        raise _fail(name, f"a statement takes {a} or {b}, not both", statement=i, element=b)
    if a not in stmt and b not in stmt:
        if required:
            raise _fail(name, f"the statement has neither {a} nor {b}", statement=i,
                        element=a, fix=f"add \"{a}\": \"*\" or the values it applies to")
        return None
    return a if a in stmt else b


def _principal(name: str, i: int, policy_type: str, stmt: dict[str, Any]) -> None:
    which = _one_of(name, i, stmt, "Principal", "NotPrincipal", required=False)
    if which is None:
        return
    if policy_type == SCP:
        raise _fail(name, f"SCPs do not take {which} (an SCP applies to every principal of "
                    "the accounts it is attached to)", statement=i, element=which,
                    fix="remove it; match principals with a condition on aws:PrincipalArn")
    value = stmt[which]
    if which == "NotPrincipal" or value not in ("*", {"AWS": "*"}):
        raise _fail(name, "an RCP's Principal must be \"*\"", statement=i, element=which,
                    fix="use \"Principal\": \"*\" and restrict principals with conditions")


def _statement(name: str, policy_type: str, i: int, stmt: Any, variables: bool) -> Statement:
    if not isinstance(stmt, dict):
        raise _fail(name, "a statement must be a JSON object", statement=i)
    for key in stmt:
        if key not in STATEMENT_KEYS:
            raise _fail(name, f"unknown statement element {key!r}", statement=i, element=key,
                        fix=f"use one of {', '.join(sorted(STATEMENT_KEYS))}")
    sid = stmt.get("Sid", "")
    if not isinstance(sid, str):
        raise _fail(name, "Sid must be a string", statement=i, element="Sid")
    effect = stmt.get("Effect")
    if effect not in ("Allow", "Deny"):
        raise _fail(name, f"Effect must be \"Allow\" or \"Deny\", not {effect!r}", statement=i,
                    element="Effect")
    _principal(name, i, policy_type, stmt)
    act_key = _one_of(name, i, stmt, "Action", "NotAction")
    assert act_key is not None
    actions = _strings(name, i, act_key, stmt[act_key])
    for a in actions:
        if a != "*" and ":" not in a:
            raise _fail(name, f"action {a!r} is not service:action", statement=i,
                        element=act_key, fix="write e.g. s3:GetObject, s3:Get*, or *")
    res_key = _one_of(name, i, stmt, "Resource", "NotResource")
    assert res_key is not None
    resources = _strings(name, i, res_key, stmt[res_key])
    conditions: tuple[Condition, ...] = ()
    if "Condition" in stmt:
        try:
            conditions = parse_condition_block(stmt["Condition"], variables=variables)
        except ConditionError as exc:
            raise _fail(name, str(exc), statement=i, element=exc.element) from None
    return Statement(
        index=i, sid=sid, effect=effect,
        actions=PatternSet([pattern(a, ignore_case=True) for a in actions]),
        not_action=act_key == "NotAction",
        resources=PatternSet([pattern(r, resource=True, variables=variables)
                              for r in resources]),
        not_resource=res_key == "NotResource", conditions=conditions)


def parse_policy(document: Any, *, name: str = "policy", policy_type: str = SCP) -> Policy:
    """Compile one SCP or RCP (a dict, or its JSON text).

    >>> p = parse_policy({"Version": "2012-10-17", "Statement": {"Effect": "Deny",
    ...     "Action": "s3:*", "Resource": "*"}}, name="no-s3")
    >>> [s.label() for s in p.statements]
    ['statement 0']
    """
    if isinstance(document, str):
        try:
            document = load_json(document)
        except json.JSONDecodeError as exc:
            raise _fail(name, f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
                        fix="check commas, quotes and brackets") from None
        except InputError as exc:
            raise _fail(name, f"{exc.message} (line {exc.line})", fix=exc.fix) from None
    if not isinstance(document, dict):
        raise _fail(name, "a policy must be a JSON object")
    for key in document:
        if key not in ("Version", "Id", "Statement"):
            raise _fail(name, f"unknown top-level element {key!r}", element=key,
                        fix="a policy has Version, Statement and optionally Id")
    version = document.get("Version", "2008-10-17")
    if version not in VERSIONS:
        raise _fail(name, f"Version {version!r} is not 2012-10-17", element="Version",
                    fix="write \"Version\": \"2012-10-17\"")
    raw = document.get("Statement")
    if raw is None or raw == []:
        raise _fail(name, "the policy has no Statement", element="Statement")
    if not isinstance(raw, dict | list):
        raise _fail(name, "Statement must be an object or a list of objects",
                    element="Statement")
    stmts = raw if isinstance(raw, list) else [raw]
    # Policy variables exist only in version 2012-10-17 (IAM reference, "Version").
    variables = version == "2012-10-17"
    compiled = tuple(_statement(name, policy_type, i, s, variables) for i, s in enumerate(stmts))
    return Policy(name=name, type=policy_type, document=document, statements=compiled)
