"""Condition operators of the IAM policy language, parsed once and evaluated per request.

Rules (IAM User Guide, "IAM JSON policy elements: Condition operators" and "Multivalued
context keys"):

- Keys in one operator block are ANDed, values of one key ORed; a negated operator
  (``StringNotEquals``, ``ArnNotLike``, ``NotIpAddress``...) is true when the request
  value matches none of the policy values.
- A key absent from the request makes a condition false, except that a negated operator
  is then true ("If the policy condition requires that the key is not matched, such as
  StringNotLike or ArnNotLike, and the right key is not present, the condition is
  true"); ``...IfExists`` is true on an absent key; ``Null`` tests presence itself.
- ``ForAllValues:`` is true when every request value matches (so true on an absent key
  or an empty set); ``ForAnyValue:`` when at least one does (so false on an absent key
  or an empty set). With a negated operator the test applies to each request value.
- Without a set qualifier, a multivalued key is true for a positive operator when any
  value matches, and for a negated one when no value matches.
- Condition key names are case-insensitive (the caller lower-cases the context keys).
- A policy value holding a variable with no value in the request matches nothing, and
  a negated operator with such a value is false: the statement "does not match"
  (IAM User Guide, "Policy variables": a variable that cannot be resolved makes the
  element unable to match; @cloud-copilot/iam-simulate does the same).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

from aigov.policy.match import Context, pattern

QUALIFIERS = ("ForAllValues", "ForAnyValue")
STRING_OPS = {"StringEquals", "StringNotEquals", "StringEqualsIgnoreCase",
              "StringNotEqualsIgnoreCase", "StringLike", "StringNotLike"}
NUMERIC_OPS = {"NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericLessThanEquals",
               "NumericGreaterThan", "NumericGreaterThanEquals"}
DATE_OPS = {op.replace("Numeric", "Date") for op in NUMERIC_OPS}
ARN_OPS = {"ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike"}
OTHER_OPS = {"Bool", "BinaryEquals", "IpAddress", "NotIpAddress", "Null"}
OPERATORS = STRING_OPS | NUMERIC_OPS | DATE_OPS | ARN_OPS | OTHER_OPS
NEGATED = {"StringNotEquals", "StringNotEqualsIgnoreCase", "StringNotLike", "NumericNotEquals",
           "DateNotEquals", "ArnNotEquals", "ArnNotLike", "NotIpAddress"}

_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "Equals": lambda a, b: a == b, "NotEquals": lambda a, b: a == b,  # negation applied later
    "LessThan": lambda a, b: a < b, "LessThanEquals": lambda a, b: a <= b,
    "GreaterThan": lambda a, b: a > b, "GreaterThanEquals": lambda a, b: a >= b,
}


class ConditionError(ValueError):
    """A malformed condition; ``element`` says where (``Condition.StringEquals``...)."""

    def __init__(self, message: str, element: str) -> None:
        super().__init__(message)
        self.element = element


def known_operator(qualifier: str, base: str) -> bool:
    """An operator IAM knows, with no set qualifier or one it knows (the parts
    ``split_operator`` returns)."""
    return base in OPERATORS and (not qualifier or qualifier in QUALIFIERS)


@lru_cache(maxsize=4_096)
def split_operator(op: str) -> tuple[str, str, bool]:
    """``"ForAnyValue:StringNotLikeIfExists"`` -> ``("ForAnyValue", "StringNotLike", True)``."""
    qualifier = ""
    if ":" in op:
        qualifier, op = op.split(":", 1)
    if_exists = op.endswith("IfExists") and op != "IfExists"
    return qualifier, op.removesuffix("IfExists") if if_exists else op, if_exists


def parse_number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def parse_date(text: str) -> float | None:
    """ISO 8601 (``2025-01-01T00:00:00Z``) or epoch seconds, as IAM's Date operators take."""
    number = parse_number(text)
    if number is not None:
        return number
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.timestamp()


def _as_values(raw: object, element: Callable[[], str]) -> tuple[str, ...]:
    """A key's values as text; ``element()`` names it in an error (built only then)."""
    if type(raw) is str:
        return (raw,)
    if type(raw) is list and raw and all(type(v) is str for v in raw):
        return tuple(raw)
    items = raw if isinstance(raw, list) else [raw]
    if not items:
        raise ConditionError("a condition key needs at least one value", element())
    out = []
    for v in items:
        if isinstance(v, bool):
            out.append("true" if v else "false")
        elif isinstance(v, str | int | float):
            out.append(str(v))
        else:
            raise ConditionError(f"condition values are strings, numbers or booleans, "
                                 f"not {type(v).__name__}", element())
    return tuple(out)


@dataclass(slots=True, eq=False)
class Condition:
    """One key under one operator, e.g. ``StringNotEquals: {aws:RequestedRegion: [...]}``.

    Never changed once parsed (nothing assigns to one), but not a frozen dataclass: a
    stream of new policies parses a condition for nearly every statement a request
    reaches, and a frozen one costs an ``object.__setattr__`` per field to build."""

    operator: str
    base: str
    qualifier: str
    if_exists: bool
    key: str
    key_lower: str
    values: tuple[str, ...]
    match_one: Callable[[str, Context], bool]
    # For values with policy variables: is any of them without a value in this context?
    unresolved: Callable[[Context], bool] | None = None

    @property
    def negated(self) -> bool:
        return self.base in NEGATED

    def holds(self, ctx: Context) -> bool:
        got = ctx.get(self.key_lower)
        if self.base == "Null":
            absent = not got
            return any((v.lower() == "true") == absent for v in self.values)
        if not got:  # absent key, or an empty set of values
            if self.if_exists or self.qualifier == "ForAllValues":
                return True
            if self.qualifier == "ForAnyValue":
                return False
            return self.negated
        match = self.match_one
        if self.negated and self.unresolved is not None and self.unresolved(ctx):
            return False
        if self.qualifier == "ForAllValues":
            return all(match(v, ctx) != self.negated for v in got)
        if self.qualifier == "ForAnyValue":
            return any(match(v, ctx) != self.negated for v in got)
        hit = match(got[0], ctx) if len(got) == 1 else any(match(v, ctx) for v in got)
        return not hit if self.negated else hit

    def describe(self) -> str:
        vals = self.values[0] if len(self.values) == 1 else list(self.values)
        return f"{self.operator} {{{self.key}: {vals}}}"


def _matcher(base: str, values: tuple[str, ...], variables: bool,
             element: Callable[[], str]) -> Callable[[str, Context], bool]:
    """The function telling whether one request value matches any policy value."""
    if base in STRING_OPS or base in ARN_OPS:
        like = "Like" in base or base in ARN_OPS
        if not like and not (variables and any("${" in v for v in values)):
            # Exact texts: a set, as ``pattern(v, wildcards=False)`` would compare each.
            if "IgnoreCase" in base:
                lowered = frozenset(v.lower() for v in values)
                return lambda v, ctx: v.lower() in lowered
            exact = frozenset(values)
            return lambda v, ctx: v in exact
        pats = [pattern(v, wildcards=like, ignore_case="IgnoreCase" in base,
                        arn=base in ARN_OPS, variables=variables) for v in values]
        if len(pats) == 1:  # most keys: one value, asked without a generator
            one = pats[0].matches
            if base in ARN_OPS:
                return lambda v, ctx: v.startswith("arn:") and one(v, ctx)
            return one
        if base in ARN_OPS:
            return lambda v, ctx: v.startswith("arn:") and any(p.matches(v, ctx) for p in pats)
        return lambda v, ctx: any(p.matches(v, ctx) for p in pats)
    if base in NUMERIC_OPS or base in DATE_OPS:
        parse = parse_number if base in NUMERIC_OPS else parse_date
        nums = []
        for v in values:
            n = parse(v)
            if n is None:
                kind = "a number" if base in NUMERIC_OPS else "a date (ISO 8601 or epoch seconds)"
                raise ConditionError(f"{base} value {v!r} is not {kind}", element())
            nums.append(n)
        cmp = _COMPARE[base.removeprefix("Numeric").removeprefix("Date")]

        def numeric(v: str, ctx: Context) -> bool:
            n = parse(v)
            return n is not None and any(cmp(n, b) for b in nums)
        return numeric
    if base == "Bool":
        for v in values:
            if v.lower() not in ("true", "false"):
                raise ConditionError(f"Bool value {v!r} is not true or false", element())
        wanted = {v.lower() for v in values}
        return lambda v, ctx: v.lower() in wanted
    if base == "BinaryEquals":
        exact = set(values)
        return lambda v, ctx: v in exact
    if base in ("IpAddress", "NotIpAddress"):
        try:
            nets = [ipaddress.ip_network(v, strict=False) for v in values]
        except ValueError as exc:
            raise ConditionError(f"{base}: {exc}", element()) from None

        def ip(v: str, ctx: Context) -> bool:
            try:
                addr = ipaddress.ip_address(v.split("/")[0])
            except ValueError:
                return False
            return any(addr.version == n.version and addr in n for n in nets)
        return ip
    raise ConditionError(f"unknown condition operator {base!r}", element())  # pragma: no cover


def parse_condition_block(block: object, *, variables: bool) -> tuple[Condition, ...]:
    """Parse a statement's ``Condition`` element into ANDed ``Condition`` objects."""
    if not isinstance(block, dict):
        raise ConditionError("Condition must be an object of operators", "Condition")
    out: list[Condition] = []
    for op, keys in block.items():
        op = str(op)
        qualifier, base, if_exists = split_operator(op)
        if qualifier and qualifier not in QUALIFIERS:
            raise ConditionError(f"unknown set qualifier {qualifier!r} (use ForAllValues or "
                                 "ForAnyValue)", f"Condition.{op}")
        if base not in OPERATORS:
            raise ConditionError(f"unknown condition operator {op!r}", f"Condition.{op}")
        if base == "Null" and (if_exists or qualifier):
            raise ConditionError("Null takes neither IfExists nor a set qualifier",
                                 f"Condition.{op}")
        if not isinstance(keys, dict) or not keys:
            raise ConditionError(f"{op} must map condition keys to values", f"Condition.{op}")
        for key, raw in keys.items():
            key = str(key)

            def element(op: str = op, key: str = key) -> str:
                return f"Condition.{op}.{key}"
            values = _as_values(raw, element)
            if base == "Null":
                if any(v.lower() not in ("true", "false") for v in values):
                    raise ConditionError("Null takes true or false", element())
                match = _never
            else:
                match = _matcher(base, values, variables, element)
            out.append(Condition(op, base, qualifier, if_exists, key, key.lower(), values,
                                 match, _unresolved(values) if variables else None))
    return tuple(out)


def _unresolved(values: tuple[str, ...]) -> Callable[[Context], bool] | None:
    if len(values) == 1:
        if "${" not in values[0]:
            return None
    elif not any("${" in v for v in values):
        return None
    pats = [p for p in (pattern(v, variables=True) for v in values if "${" in v)
            if p.has_variables]
    if not pats:
        return None
    return lambda ctx: any(p.resolve(ctx) is None for p in pats)


def _never(v: str, ctx: Context) -> bool:
    return False


def all_hold(conditions: Sequence[Condition], ctx: Context) -> bool:
    return all(c.holds(ctx) for c in conditions)
