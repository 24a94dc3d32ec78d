"""Grammar of the IAM-language policy types (SCPs and RCPs): elements, effects and the
rules each type adds. Sources: IAM JSON policy element reference; AWS Organizations User
Guide, "SCP syntax" and "RCP syntax".
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from aigov.findings import Finding
from aigov.policy.checks.document import PolicyDoc, actions_of, as_list

# One list of condition operators for the evaluator and the linter.
from aigov.policy.conditions import known_operator, split_operator
from aigov.policy.services import rcp_supported_services

TOP_ELEMENTS = {"Version", "Id", "Statement"}
STATEMENT_ELEMENTS = {"Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction",
                      "Resource", "NotResource", "Condition"}
# IAM: "The Sid element supports ASCII uppercase letters (A-Z), lowercase letters (a-z),
# and numbers (0-9)."
SID_RE = re.compile(r"\A[A-Za-z0-9]*\Z")
ACTION_RE = re.compile(r"\A(\*|[a-z0-9][a-z0-9-]*:[A-Za-z0-9*?]+)\Z")
# The versions of the IAM policy language; SCPs and RCPs take only the first.
VERSIONS = ("2012-10-17", "2008-10-17")


def check_version(doc: PolicyDoc, organizations: bool = True) -> Iterator[Finding]:
    """Every SCP and RCP says ``"Version": "2012-10-17"``.

    Passes: ``{"Version": "2012-10-17", "Statement": [...]}``.
    Fails: no Version -> POLICY_VERSION_MISSING; ``"2008-10-17"`` -> POLICY_VERSION_INVALID.
    ``organizations=False`` reads the IAM language alone, as the evaluator compiles any
    document AWS holds: a missing Version means 2008-10-17 there, and only a version IAM
    does not know is an error (IAM JSON policy elements: Version).
    """
    d = doc.document
    if "Version" not in d:
        if organizations:
            yield doc.at("POLICY_VERSION_MISSING", "the policy has no Version", path=())
    elif d["Version"] != "2012-10-17" and (organizations or d["Version"] not in VERSIONS):
        yield doc.at("POLICY_VERSION_INVALID", f"Version {d['Version']!r} is not 2012-10-17",
                     path=("Version",), element="Version",
                     fix='write "Version": "2012-10-17"')


def check_structure(doc: PolicyDoc) -> Iterator[Finding]:
    """Top-level and statement elements are the ones IAM knows, each well formed.

    Passes: ``{"Effect": "Deny", "Action": "s3:*", "Resource": "*"}``.
    Fails: ``{"Effect": "deny", "Actions": "s3:*"}`` -> POLICY_BAD_EFFECT,
    POLICY_UNKNOWN_ELEMENT, POLICY_ACTION_ELEMENT, POLICY_RESOURCE_ELEMENT.
    """
    d = doc.document
    for key in d:
        if key not in TOP_ELEMENTS:
            yield doc.at("POLICY_UNKNOWN_ELEMENT", f"unknown top-level element {key!r}",
                         path=(key,), element=key,
                         fix="a policy has Version, Statement and optionally Id")
    st = d.get("Statement")
    if not st:
        yield doc.at("POLICY_NO_STATEMENT", "the policy has no Statement",
                     path=("Statement",), element="Statement")
        return
    if not isinstance(st, dict | list):
        yield doc.at("POLICY_NO_STATEMENT", "Statement must be an object or a list of "
                     "objects", path=("Statement",), element="Statement")
        return
    sids: dict[str, int] = {}
    for i, stmt in doc.statements():
        if not isinstance(stmt, dict):
            yield doc.at("POLICY_MALFORMED", "a statement must be a JSON object", statement=i)
            continue
        if not STATEMENT_ELEMENTS.issuperset(stmt):
            for key in stmt:
                if key not in STATEMENT_ELEMENTS:
                    yield doc.at("POLICY_UNKNOWN_ELEMENT", f"unknown statement element "
                                 f"{key!r}", statement=i, element=key,
                                 fix=f"use one of {', '.join(sorted(STATEMENT_ELEMENTS))}")
        if stmt.get("Effect") not in ("Allow", "Deny"):
            yield doc.at("POLICY_BAD_EFFECT", f"Effect is {stmt.get('Effect')!r}; it must be "
                         "'Allow' or 'Deny'", statement=i, element="Effect")
        yield from _check_pair(doc, i, stmt, "Action", "NotAction", "POLICY_ACTION_ELEMENT")
        yield from _check_pair(doc, i, stmt, "Resource", "NotResource",
                               "POLICY_RESOURCE_ELEMENT")
        element, values = actions_of(stmt)
        for a in values:
            if not isinstance(a, str) or not a:
                yield doc.at("POLICY_ACTION_FORMAT", f"{element} must be a string or a list "
                             f"of non-empty strings, not {a!r}", statement=i, element=element)
            elif not action_format(a):
                yield doc.at("POLICY_ACTION_FORMAT", f"action {a!r} is not service:Action "
                             "(wildcards allowed)", statement=i, element=element)
        sid = stmt.get("Sid")
        if sid is not None:
            if not isinstance(sid, str) or not sid_format(sid):
                yield doc.at("POLICY_SID_INVALID", f"Sid {sid!r} may hold only letters and "
                             "digits", statement=i, element="Sid")
            elif sid in sids:
                yield doc.at("POLICY_SID_DUPLICATE", f"Sid {sid!r} is also statement "
                             f"{sids[sid]}'s", statement=i, element="Sid")
            else:
                sids[sid] = i
        if "Condition" in stmt:
            yield from _check_condition(doc, i, stmt["Condition"])


@lru_cache(maxsize=16_384)
def action_format(action: str) -> bool:
    """``service:Action`` with wildcards, or ``*`` (a few hundred distinct texts recur
    across any number of documents, so each is matched once)."""
    return ACTION_RE.match(action) is not None


@lru_cache(maxsize=4_096)
def sid_format(sid: str) -> bool:
    """Letters and digits only (Sids recur across documents: each is matched once)."""
    return SID_RE.match(sid) is not None


def _check_pair(doc: PolicyDoc, i: int, stmt: dict, a: str, b: str,
                code: str) -> tuple[Finding, ...]:
    """Exactly one of ``a`` and ``b`` (Action/NotAction, Resource/NotResource), holding a
    string or a non-empty list; resources are non-empty strings (the action values have
    their own finding, POLICY_ACTION_FORMAT)."""
    has_a, has_b = a in stmt, b in stmt
    if has_a and has_b:
        return (doc.at(code, f"a statement takes {a} or {b}, not both", statement=i,
                       element=b),)
    if not has_a and not has_b:
        return (doc.at(code, f"the statement has neither {a} nor {b}", statement=i,
                       element=a, fix=f"add \"{a}\": \"*\" or the values it applies to"),)
    key = a if has_a else b
    raw = stmt[key]
    if type(raw) is str and (raw or a != "Resource"):
        return ()
    if raw == []:
        return (doc.at(code, f"{key} is an empty list", statement=i, element=key,
                       fix="list at least one value, or \"*\""),)
    if a == "Resource" and not all(isinstance(v, str) and v for v in as_list(raw)):
        return (doc.at(code, f"{key} must be a string or a list of non-empty strings",
                       statement=i, element=key),)
    return ()


_SCALARS = (str, bool, int, float)


def _check_condition(doc: PolicyDoc, i: int, cond: object) -> list[Finding]:
    if cond is None:
        return []
    if not isinstance(cond, dict):
        return [doc.at("POLICY_MALFORMED", "Condition must be an object of operators",
                       statement=i, element="Condition")]
    out = []
    for op, block in cond.items():
        prefix, base, _ = split_operator(op)
        if not known_operator(prefix, base):
            out.append(doc.at("POLICY_CONDITION_OPERATOR", f"unknown condition operator "
                              f"{op!r}", statement=i, element="Condition",
                              path=(*doc.statement_path(i), "Condition", op)))
        if not isinstance(block, dict) or not block:
            out.append(doc.at("POLICY_MALFORMED", f"{op} must map condition keys to values",
                              statement=i, element="Condition"))
            continue
        for key, value in block.items():
            if isinstance(value, list):
                if all(isinstance(v, _SCALARS) for v in value):
                    continue
            elif isinstance(value, _SCALARS):
                continue
            out.append(doc.at("POLICY_MALFORMED", f"{op} {key}: values must be strings or a "
                              "list of strings", statement=i, element="Condition"))
            # what each value means to its operator: values.check_condition_values
    return out


def check_scp_grammar(doc: PolicyDoc) -> Iterator[Finding]:
    """SCPs name no principal: they apply to every principal in the accounts below.

    Passes: ``{"Effect": "Deny", "Action": "s3:*", "Resource": "*"}``.
    Fails: the same with ``"Principal": "*"`` -> SCP_PRINCIPAL.
    """
    for i, stmt in doc.statements():
        if isinstance(stmt, dict):
            for key in ("Principal", "NotPrincipal"):
                if key in stmt:
                    yield doc.at("SCP_PRINCIPAL", f"SCPs do not take {key} (an SCP applies "
                                 "to every principal of the accounts it is attached to)",
                                 statement=i, element=key, fix="remove it; match principals "
                                 "with a condition on aws:PrincipalArn")


def check_rcp_grammar(doc: PolicyDoc, custom: bool = True) -> Iterator[Finding]:
    """Custom RCPs are Deny-only, with ``"Principal": "*"``, no NotAction or NotPrincipal,
    and only actions of services that support RCPs (``Allow`` is reserved for the
    AWS-managed RCPFullAWSAccess).

    Passes: ``{"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*"}``.
    Fails: ``{"Effect": "Allow", "Principal": {"AWS": "1111"}, "Action": "ec2:*", ...}`` ->
    RCP_ALLOW, RCP_PRINCIPAL, RCP_UNSUPPORTED_SERVICE. ``custom=False`` keeps the rules
    every RCP follows, AWS's own included (the principal), as the evaluator compiles them.
    """
    supported = rcp_supported_services() if custom else frozenset()
    for i, stmt in doc.statements():
        if not isinstance(stmt, dict):
            continue
        if "NotPrincipal" in stmt:
            yield doc.at("RCP_PRINCIPAL", "RCPs do not support NotPrincipal; use Principal "
                         "\"*\" with an aws:PrincipalArn condition", statement=i,
                         element="NotPrincipal")
        elif stmt.get("Principal") != "*":
            yield doc.at("RCP_PRINCIPAL", "an RCP's Principal must be \"*\", not "
                         f"{stmt.get('Principal')!r}", statement=i, element="Principal",
                         fix="use \"Principal\": \"*\" and restrict principals with "
                         "conditions")
        if not custom:
            continue
        if stmt.get("Effect") == "Allow":
            yield doc.at("RCP_ALLOW", "custom RCPs may only Deny", statement=i, element="Effect")
        if "NotAction" in stmt:
            yield doc.at("RCP_NOT_ACTION", "RCPs do not support NotAction", statement=i,
                         element="NotAction")
        for a in as_list(stmt.get("Action")):
            if a == "*":
                yield doc.at("RCP_ACTION_ALL", "custom RCPs cannot use \"Action\": \"*\"",
                             statement=i, element="Action")
            elif isinstance(a, str) and ":" in a and a.split(":")[0].lower() not in supported:
                yield doc.at("RCP_UNSUPPORTED_SERVICE", f"{a}: RCPs do not apply to service "
                             f"{a.split(':')[0]!r}", statement=i, element="Action")
