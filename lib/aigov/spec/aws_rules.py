"""AWS's own rules for the values of a spec, read from botocore's Organizations model.

botocore ships the service model AWS publishes (``botocore/data/organizations/*/
service-2.json``): each input shape has its ``min``, ``max``, ``pattern`` or ``enum``.
Rules are taken from there rather than written again by hand, so a length or pattern
AWS changes arrives with botocore. Patterns are matched against the whole value
(``\\A(?:pattern)\\Z``: ``$`` alone would accept a trailing newline) and ``\\d``/``\\s``
are ASCII (``\\d`` would otherwise accept Arabic-Indic digits); only the model's
explicit Unicode classes (``\\p{L}`` in tag keys) reach beyond ASCII.

Rules the model does not carry are added here with their source: the ``aws:`` tag
prefix, control characters in names, reserved and AWS-managed names.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import regex

# Organizations User Guide, "Tagging": "The aws: prefix is reserved for AWS use".
RESERVED_TAG_PREFIX = "aws:"
# The AWS-managed policies every organization has (Organizations User Guide,
# "FullAWSAccess" and "RCPFullAWSAccess"); a custom policy of the same name is
# ambiguous in every listing and refused by our apply's lockout gate.
AWS_MANAGED_POLICY_NAMES = frozenset({"FullAWSAccess", "RCPFullAWSAccess"})
# Organizations quotas: "Number of OUs in an organization: 2,000".
MAX_OUS = 2000
_CONTROL = regex.compile(r"[\p{Cc}\p{Cf}\u2028\u2029]")


@cache
def _model() -> Any:
    import botocore.session

    return botocore.session.get_session().get_service_model("organizations")


@cache
def shape(name: str) -> dict[str, Any]:
    """``min``/``max``/``pattern``/``enum`` of one string shape of the model."""
    s = _model().shape_for(name)
    out = {k: v for k, v in s.metadata.items() if k in ("min", "max", "pattern")}
    if getattr(s, "enum", None):
        out["enum"] = tuple(s.enum)
    return out


@cache
def _pattern(name: str) -> regex.Pattern[str] | None:
    raw = shape(name).get("pattern")
    if raw is None:
        return None
    body = raw.removeprefix("^").removesuffix("$")
    flags = 0 if "\\p{" in body else regex.ASCII
    return regex.compile(rf"\A(?:{body})\Z", flags)


def enum(name: str) -> tuple[str, ...]:
    return shape(name).get("enum", ())


def problem(name: str, value: str, *, printable: bool = False) -> str | None:
    """Why ``value`` breaks shape ``name`` (e.g. ``CreateAccountName``), or None.

    ``printable``: also refuse control and format characters (a name holding a newline
    or a zero-width space cannot be read, typed or matched as a target).
    """
    rules = shape(name)
    lo, hi = rules.get("min", 0), rules.get("max")
    if len(value) < lo or (hi is not None and len(value) > hi):
        span = f"{lo}-{hi}" if hi is not None else f"at least {lo}"
        return f"is {len(value)} characters; AWS allows {span} ({name})"
    if printable and _CONTROL.search(value):
        return f"holds a control character ({value!r})"
    pat = _pattern(name)
    if pat is not None and not pat.match(value):
        return f"{value!r} does not match AWS's pattern {rules['pattern']} for {name}"
    if "enum" in rules and value not in rules["enum"]:
        return f"{value!r} is not one of {', '.join(rules['enum'])}"
    return None


def tag_problem(key: str, value: str) -> str | None:
    """Tag key and value rules (TagKey, TagValue, and the reserved ``aws:`` prefix)."""
    if key.lower().startswith(RESERVED_TAG_PREFIX):
        return f"tag key {key!r} starts with {RESERVED_TAG_PREFIX!r}, which AWS reserves"
    why = problem("TagKey", key)
    if why:
        return f"tag key {why}"
    why = problem("TagValue", value)
    return f"tag {key!r}: value {why}" if why else None
