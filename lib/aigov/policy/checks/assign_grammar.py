"""Grammar of the management policy types (AI services opt-out, tag): the ``@@assign``
syntax and each type's keys and values. Source: AWS Organizations User Guide, "Policy
syntax and inheritance for management policy types", "AI services opt-out policy syntax",
"Tag policy syntax".
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterator
from typing import Any

from aigov.findings import Finding
from aigov.policy.checks.document import PolicyDoc

OPERATORS = {"@@assign", "@@append", "@@remove", "@@operators_allowed_for_child_policies"}
CHILD_OPERATORS = {"@@all", "@@none", "@@assign", "@@append", "@@remove"}
# "List of supported AI services" (orgs_manage_policies_ai-opt-out_all), plus "default".
OPT_OUT_SERVICES = (
    "default", "awssupplychain", "chimesdkvoiceanalytics", "cloudwatch", "codeguruprofiler",
    "codewhisperer", "comprehend", "connect", "connectamd", "connectoptimization",
    "contactlens", "frauddetector", "guardduty", "lex", "polly", "q", "quicksightq",
    "rekognition", "securitylake", "supplychain", "textract", "transcribe", "translate",
)
OPT_OUT_VALUES = ("optIn", "optOut")
TAG_ELEMENTS = {"tag_key", "tag_value", "enforced_for", "report_required_tag_for"}
# Tag policy syntax, enforced_for / report_required_tag_for: "service:resourceType",
# "service:*" or "service:ALL_SUPPORTED"; the service is never a wildcard ("*:*").
RESOURCE_TYPE_RE = re.compile(r"^[a-z0-9][a-z0-9-]*:(\*|ALL_SUPPORTED|[A-Za-z0-9][A-Za-z0-9-]*)$")


def did_you_mean(word: str, choices: Any) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def value_operators(doc: PolicyDoc, node: Any, path: tuple, code: str,
                    single_valued: Callable[[str], bool]) -> Iterator[Finding]:
    """``@@append``/``@@remove`` on a setting that holds one value: AWS allows them "with
    only multi-valued settings" (Inheritance operators); such a setting takes @@assign.
    The finding carries ``code`` with the setting's path."""
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        if key in ("@@append", "@@remove") and path and single_valued(str(path[-1])):
            where = ".".join(map(str, path))
            yield doc.at("MGMT_OPERATOR_NOT_ALLOWED", f"{where}: {key} works on "
                         f"multi-valued settings only; {where} takes @@assign",
                         path=(*path, key), key=where)
        elif isinstance(value, dict):
            yield from value_operators(doc, value, (*path, key), code, single_valued)


def _operators(doc: PolicyDoc, node: dict[str, Any], path: tuple, code: str) -> Iterator[Finding]:
    """Unknown ``@@`` operators and bad child-operator lists anywhere in ``node``."""
    for key, value in node.items():
        if key.startswith("@@") and key not in OPERATORS:
            yield doc.at(code, f"unknown operator {key!r}{did_you_mean(key, OPERATORS)}",
                         path=(*path, key), key=".".join(map(str, (*path, key))))
        if key == "@@operators_allowed_for_child_policies":
            vals = value if isinstance(value, list) else [value]
            bad = [v for v in vals if v not in CHILD_OPERATORS]
            if bad or not isinstance(value, list):
                yield doc.at(code, f"{key} must be a list of {sorted(CHILD_OPERATORS)}, got "
                             f"{value!r}", path=(*path, key), key=".".join(map(str, (*path, key))))


def check_opt_out_grammar(doc: PolicyDoc) -> Iterator[Finding]:
    """``{"services": {SERVICE: {"opt_out_policy": {"@@assign": "optIn"|"optOut"}}}}``.

    Passes: ``{"services": {"default": {"opt_out_policy": {"@@assign": "optOut"}}}}``.
    Fails: ``{"services": {"rekognitoin": {"opt_out_policy": {"@@assign": "OptOut"}}}}`` ->
    OPTOUT_UNKNOWN_SERVICE (did you mean 'rekognition'?), OPTOUT_BAD_VALUE.
    """
    d = doc.document
    extra = [k for k in d if k != "services"]
    for k in extra:
        yield doc.at("OPTOUT_SYNTAX", f"unknown top-level key {k!r}; an opt-out policy holds "
                     "only 'services'", path=(k,), key=k)
    services = d.get("services")
    if not isinstance(services, dict):
        yield doc.at("OPTOUT_SYNTAX", "an opt-out policy needs a 'services' object", path=())
        return
    yield from _operators(doc, services, ("services",), "OPTOUT_SYNTAX")
    # "AI services opt-out policy syntax": every setting is one value, so @@assign only.
    yield from value_operators(doc, services, ("services",), "OPTOUT_SYNTAX", lambda _: True)
    for name, body in services.items():
        if name.startswith("@@"):
            continue
        path = ("services", name)
        if name not in OPT_OUT_SERVICES:
            yield doc.at("OPTOUT_UNKNOWN_SERVICE", f"{name!r} is not an AI service that "
                         f"opt-out policies cover{did_you_mean(name, OPT_OUT_SERVICES)}",
                         path=path, key=f"services.{name}")
        if not isinstance(body, dict) or "opt_out_policy" not in body:
            yield doc.at("OPTOUT_SYNTAX", f"services.{name} needs an 'opt_out_policy' object",
                         path=path, key=f"services.{name}")
            continue
        for k in body:
            if k != "opt_out_policy" and not k.startswith("@@"):
                yield doc.at("OPTOUT_SYNTAX", f"unknown key {k!r} in services.{name}",
                             path=(*path, k), key=f"services.{name}.{k}")
        pol = body["opt_out_policy"]
        if not isinstance(pol, dict):
            yield doc.at("OPTOUT_SYNTAX", f"services.{name}.opt_out_policy must be an object",
                         path=(*path, "opt_out_policy"), key=f"services.{name}.opt_out_policy")
            continue
        yield from _operators(doc, pol, (*path, "opt_out_policy"), "OPTOUT_SYNTAX")
        value = pol.get("@@assign")
        if "@@assign" in pol and value not in OPT_OUT_VALUES:
            yield doc.at("OPTOUT_BAD_VALUE", f"services.{name}: @@assign is {value!r}; use "
                         "'optIn' or 'optOut' (capitalised exactly)",
                         path=(*path, "opt_out_policy", "@@assign"),
                         key=f"services.{name}.opt_out_policy.@@assign")


def check_tag_grammar(doc: PolicyDoc) -> Iterator[Finding]:
    """``{"tags": {NAME: {"tag_key": {"@@assign": NAME}, "tag_value": {...}, ...}}}``.

    Passes: ``{"tags": {"project": {"tag_key": {"@@assign": "project"}}}}``.
    Fails: ``{"tags": {"project": {"tag_key": {"@@assign": "Owner"}, "values": []}}}`` ->
    TAG_KEY_MISMATCH, TAG_SYNTAX.
    """
    d = doc.document
    for k in d:
        if k != "tags":
            yield doc.at("TAG_SYNTAX", f"unknown top-level key {k!r}; a tag policy holds only "
                         "'tags'", path=(k,), key=k)
    tags = d.get("tags")
    if not isinstance(tags, dict):
        yield doc.at("TAG_SYNTAX", "a tag policy needs a 'tags' object", path=())
        return
    yield from _operators(doc, tags, ("tags",), "TAG_SYNTAX")
    yield from value_operators(doc, tags, ("tags",), "TAG_SYNTAX", "tag_key".__eq__)
    yield from _tag_values(doc, tags)
    for name, body in tags.items():
        if name.startswith("@@"):
            continue
        path = ("tags", name)
        if not isinstance(body, dict):
            yield doc.at("TAG_SYNTAX", f"tags.{name} must be an object", path=path,
                         key=f"tags.{name}")
            continue
        yield from _operators(doc, body, path, "TAG_SYNTAX")
        for k, v in body.items():
            if k.startswith("@@"):
                continue
            if k not in TAG_ELEMENTS:
                yield doc.at("TAG_SYNTAX", f"unknown key {k!r} in tags.{name}"
                             f"{did_you_mean(k, TAG_ELEMENTS)}", path=(*path, k),
                             key=f"tags.{name}.{k}")
            elif not isinstance(v, dict):
                yield doc.at("TAG_SYNTAX", f"tags.{name}.{k} must be an object of operators",
                             path=(*path, k), key=f"tags.{name}.{k}")
            else:
                yield from _operators(doc, v, (*path, k), "TAG_SYNTAX")
                if k in ("tag_value", "enforced_for", "report_required_tag_for"):
                    for op in ("@@assign", "@@append", "@@remove"):
                        if op in v and not (isinstance(v[op], list)
                                            and all(isinstance(x, str) for x in v[op])):
                            yield doc.at("TAG_SYNTAX", f"tags.{name}.{k}.{op} must be a list "
                                         "of strings", path=(*path, k, op),
                                         key=f"tags.{name}.{k}.{op}")
        key = (body.get("tag_key") or {}).get("@@assign") if isinstance(
            body.get("tag_key"), dict) else None
        if key is None:
            yield doc.at("TAG_SYNTAX", f"tags.{name} needs tag_key with @@assign", path=path,
                         key=f"tags.{name}")
        elif not isinstance(key, str) or key.lower() != name.lower():
            yield doc.at("TAG_KEY_MISMATCH", f"tags.{name}.tag_key assigns {key!r}; it must "
                         f"be {name!r} in some capitalisation",
                         path=(*path, "tag_key", "@@assign"), key=f"tags.{name}.tag_key")


def _tag_values(doc: PolicyDoc, tags: dict[str, Any]) -> Iterator[Finding]:
    """Tag policy syntax: one ``*`` per tag value (``*@example.com``, not ``*@*.com``);
    enforced_for entries ``service:resourceType`` or ``service:*``, never ``*:*``."""
    for name, body in tags.items():
        if name.startswith("@@") or not isinstance(body, dict):
            continue
        for element, bad, why in (
                ("tag_value", lambda v: v.count("*") > 1, "has more than one '*' (a tag "
                 "value takes one wildcard)"),
                ("enforced_for", lambda v: not RESOURCE_TYPE_RE.match(v), "is not "
                 "service:resourceType, service:* or service:ALL_SUPPORTED"),
                ("report_required_tag_for", lambda v: not RESOURCE_TYPE_RE.match(v), "is not "
                 "service:resourceType, service:* or service:ALL_SUPPORTED")):
            node = body.get(element)
            for op in ("@@assign", "@@append") if isinstance(node, dict) else ():
                for v in node.get(op) or [] if isinstance(node.get(op), list) else []:
                    if isinstance(v, str) and bad(v):
                        code = "TAG_VALUE_WILDCARD" if element == "tag_value" else "TAG_ENFORCED_FOR"
                        yield doc.at(code, f"tags.{name}.{element}: {v!r} {why}",
                                     path=("tags", name, element, op),
                                     key=f"tags.{name}.{element}")
