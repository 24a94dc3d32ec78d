"""Grammar of Amazon Bedrock policies (``BEDROCK_POLICY``): org-wide guardrail
enforcement, one guardrail per Region.

AWS Organizations User Guide, "Amazon Bedrock policy syntax and examples"::

    {"bedrock": {"guardrail_inference": {"us-east-1": {"config_1": {
        "identifier": {"@@assign": "arn:aws:bedrock:us-east-1:123456789012:guardrail/hu1dlsv9wy1d:1"},
        "input_tags": {"@@assign": "honor"}}}}}}

- ``bedrock`` > ``guardrail_inference`` > a Region > a configuration name;
- ``identifier`` (required): the guardrail ARN followed by ``:version``; the version is
  a number, never DRAFT; the guardrail lives in that Region and is owned by the
  management account (the spec-wide check ``check_guardrail_owner`` says when not);
- ``input_tags``: ``honor`` (guard only the content inside guardrail input tags) or
  ``ignore`` (guard everything);
- the newer form's ``selective_content_guarding`` (``system``/``messages``:
  ``selective`` | ``comprehensive``) and ``model_enforcement`` (``included_models``,
  ``excluded_models``: lists of model ids, ``["ALL"]``) are accepted too.

"An incorrect or malformed identifier will cause all Amazon Bedrock API calls across the
target organization to fail" (Best practices for using Amazon Bedrock policies): every
problem here is an error.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from typing import Any

from aigov.findings import Finding
from aigov.policy.checks.assign_grammar import did_you_mean, value_operators
from aigov.policy.checks.document import PolicyDoc

GUARDRAIL_ARN = re.compile(r"^arn:(aws[a-z-]*):bedrock:([a-z0-9-]+):(\d{12}):guardrail/"
                           r"([a-z0-9]+):(\d+)$")
CONFIG_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
INPUT_TAGS = ("honor", "ignore")
GUARDING = ("selective", "comprehensive")
CONFIG_KEYS = {"identifier", "input_tags", "selective_content_guarding", "model_enforcement"}
# Settings holding one value take @@assign only ("@@append ... with only multi-valued
# settings", Inheritance operators).
SINGLE_VALUED = {"identifier", "input_tags", "system", "messages"}


@cache
def bedrock_regions() -> frozenset[str]:
    """Regions botocore's endpoint data lists for Amazon Bedrock."""
    import boto3

    s = boto3.session.Session()
    return frozenset(r for part in s.get_available_partitions()
                     for r in s.get_available_regions("bedrock", partition_name=part))


def guardrail_parts(arn: str) -> tuple[str, str, str, str] | None:
    """``(region, account, guardrail id, version)`` of a policy identifier, or None."""
    m = GUARDRAIL_ARN.match(arn)
    return (m.group(2), m.group(3), m.group(4), m.group(5)) if m else None


def _assigned(node: Any) -> Any:
    return node.get("@@assign") if isinstance(node, dict) else None


def check_bedrock_grammar(doc: PolicyDoc) -> Iterator[Finding]:
    """Regions, configuration names, ``identifier`` and ``input_tags`` as AWS documents them.

    Passes: the example above.
    Fails: ``"us-east-1": {"config_1": {"identifier": {"@@assign":
    "arn:aws:bedrock:us-west-2:123456789012:guardrail/abc:DRAFT"}}}`` -> BEDROCK_IDENTIFIER
    (no numbered version), and with ``:1`` -> BEDROCK_GUARDRAIL_REGION.
    """
    d = doc.document
    for k in d:
        if k != "bedrock":
            yield doc.at("BEDROCK_SYNTAX", f"unknown top-level key {k!r}; a Bedrock policy "
                         "holds only 'bedrock'", path=(k,), key=k)
    inference = (d.get("bedrock") or {}).get("guardrail_inference") if isinstance(
        d.get("bedrock"), dict) else None
    if not isinstance(inference, dict):
        yield doc.at("BEDROCK_SYNTAX", "a Bedrock policy needs bedrock.guardrail_inference",
                     path=("bedrock",))
        return
    for k in d["bedrock"]:
        if k != "guardrail_inference" and not k.startswith("@@"):
            yield doc.at("BEDROCK_SYNTAX", f"unknown key bedrock.{k}", path=("bedrock", k))
    yield from value_operators(doc, d, (), "BEDROCK_SYNTAX", SINGLE_VALUED.__contains__)
    for region, configs in inference.items():
        if region.startswith("@@"):
            continue
        rpath = ("bedrock", "guardrail_inference", region)
        if region not in bedrock_regions():
            yield doc.at("BEDROCK_REGION", f"{region!r} is not a Region Amazon Bedrock runs in"
                         f"{did_you_mean(region, bedrock_regions())}", path=rpath, key=region)
        if not isinstance(configs, dict) or not any(not c.startswith("@@") for c in configs):
            yield doc.at("BEDROCK_SYNTAX", f"{region} needs a configuration, e.g. config_1",
                         path=rpath, key=region)
            continue
        for name, config in configs.items():
            if not name.startswith("@@"):
                yield from _config(doc, region, name, config, (*rpath, name))


def _config(doc: PolicyDoc, region: str, name: str, config: Any,
            path: tuple) -> Iterator[Finding]:
    key = f"{region}.{name}"
    if not CONFIG_NAME.match(name) or not isinstance(config, dict):
        yield doc.at("BEDROCK_SYNTAX", f"{key}: a configuration is an object named with "
                     "letters, digits, '_' or '-'", path=path, key=key)
        return
    for k in config:
        if k not in CONFIG_KEYS and not k.startswith("@@"):
            yield doc.at("BEDROCK_SYNTAX", f"unknown key {k!r} in {key}"
                         f"{did_you_mean(k, CONFIG_KEYS)}", path=(*path, k), key=key)
    ident = _assigned(config.get("identifier"))
    if "identifier" not in config:
        yield doc.at("BEDROCK_IDENTIFIER", f"{key} has no identifier (required)", path=path,
                     key=key)
    elif ident is not None:
        parts = guardrail_parts(ident) if isinstance(ident, str) else None
        if parts is None:
            yield doc.at("BEDROCK_IDENTIFIER", f"{key}: {ident!r} is not a guardrail ARN "
                         "with a numbered version (arn:aws:bedrock:REGION:ACCOUNT:guardrail/"
                         "ID:VERSION; DRAFT is not a version)", path=(*path, "identifier"),
                         key=key)
        elif parts[0] != region:
            yield doc.at("BEDROCK_GUARDRAIL_REGION", f"{key}: the guardrail is in "
                         f"{parts[0]}, the policy enforces it in {region}",
                         path=(*path, "identifier"), key=key)
    tags = _assigned(config.get("input_tags"))
    if "input_tags" in config and tags not in INPUT_TAGS:
        yield doc.at("BEDROCK_INPUT_TAGS", f"{key}: input_tags is {tags!r}; use 'honor' or "
                     "'ignore'", path=(*path, "input_tags"), key=key)
    guarding = config.get("selective_content_guarding")
    for part in ("system", "messages"):
        got = _assigned(guarding.get(part)) if isinstance(guarding, dict) else None
        if isinstance(guarding, dict) and part in guarding and got not in GUARDING:
            yield doc.at("BEDROCK_SYNTAX", f"{key}: selective_content_guarding.{part} is "
                         f"{got!r}; use 'selective' or 'comprehensive'",
                         path=(*path, "selective_content_guarding", part), key=key)


def guardrails(document: Any) -> Iterator[tuple[str, str, str]]:
    """``(region, config name, identifier)`` for every assigned guardrail of a document."""
    inference = ((document or {}).get("bedrock") or {}).get("guardrail_inference") or {}
    for region, configs in inference.items() if isinstance(inference, dict) else []:
        for name, config in configs.items() if isinstance(configs, dict) else []:
            ident = _assigned(config.get("identifier")) if isinstance(config, dict) else None
            if isinstance(ident, str) and not name.startswith("@@"):
                yield region, name, ident


def check_guardrail_owner(spec: Any, rendered: dict[str, Any], file: str) -> Iterator[Finding]:
    """Every enforced guardrail belongs to the management account, when the spec names it
    (``organization.management_account_id``): AWS refuses another account's guardrail.

    Passes: management account 111122223333, ``arn:aws:bedrock:us-east-1:111122223333:
    guardrail/abc:1``. Fails: the same guardrail in 444455556666 -> BEDROCK_GUARDRAIL_ACCOUNT.
    """
    from aigov.findings import finding

    owner = spec.organization.management_account_id
    if not owner:
        return
    for policy in rendered.values():
        if policy.type != "BEDROCK_POLICY":
            continue
        for region, name, ident in guardrails(policy.document):
            parts = guardrail_parts(ident)
            if parts and parts[1] != owner:
                yield finding("BEDROCK_GUARDRAIL_ACCOUNT", f"{policy.name}: {region}.{name} "
                              f"uses a guardrail of account {parts[1]}; the management "
                              f"account is {owner}", file=policy.file, key=f"{region}.{name}")
