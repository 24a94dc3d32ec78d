"""AWS quotas: a document's size and the number of policies attached per target.

The numbers are data (``lib/aigov/policy/quotas.yaml``, with source and date) that a
spec can override under ``quotas:``; moto enforces none of them, so an oversized policy
would only fail at AWS.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from aigov.errors import SpecError
from aigov.findings import Finding, finding
from aigov.policy.checks.document import PolicyDoc
from aigov.policy.quota_table import default_quotas
from aigov.policy.render import RenderedPolicy, attached
from aigov.spec.model import Spec


def load_quotas(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """The quotas of ``quotas.yaml`` with a spec's ``quotas:`` laid over them per type."""
    out = {k: (dict(v) if isinstance(v, dict) else v) for k, v in default_quotas().items()}
    for key, value in (overrides or {}).items():
        if isinstance(out.get(key), dict):
            if not isinstance(value, dict) or not all(
                    isinstance(n, int) and not isinstance(n, bool) and n > 0
                    for f, n in value.items() if f != "note"):
                raise SpecError(f"quotas.{key} must map max_size / max_attached_per_target "
                                f"to positive whole numbers, got {value!r}", location=f"quotas.{key}",
                                fix="e.g. quotas: {SERVICE_CONTROL_POLICY: {max_size: 5120}}")
            out[key].update(value)
        elif key == "near_limit_ratio" and not (isinstance(value, int | float)
                                                 and 0 < value <= 1):
            raise SpecError(f"quotas.near_limit_ratio must be a number in (0, 1], got {value!r}",
                            location="quotas.near_limit_ratio", fix="e.g. quotas: {near_limit_ratio: 0.9}")
        else:
            out[key] = value
    return out


def check_policy_size(doc: PolicyDoc, quotas: dict[str, Any]) -> Iterator[Finding]:
    """The minified document must fit the type's size quota.

    Passes: an SCP of 3,000 characters (quota 10,240).
    Fails: an AI opt-out policy of 2,600 characters (quota 2,500) -> QUOTA_POLICY_SIZE;
    a tag policy of 9,500 characters (over 90% of 10,000) -> QUOTA_POLICY_SIZE_NEAR.
    """
    limit = (quotas.get(doc.type) or {}).get("max_size")
    if not limit:
        return
    size = len(doc.text)
    if size > limit:
        yield finding("QUOTA_POLICY_SIZE", f"{doc.name or 'the policy'} is {size:,} characters "
                      f"minified; AWS allows {limit:,} for a {doc.type}", file=doc.file)
    elif size > limit * float(quotas.get("near_limit_ratio", 0.9)):
        yield finding("QUOTA_POLICY_SIZE_NEAR", f"{doc.name or 'the policy'} is {size:,} of "
                      f"{limit:,} characters ({size / limit:.0%})", file=doc.file)


def check_attachments_per_target(spec: Spec, rendered: dict[str, RenderedPolicy],
                                 quotas: dict[str, Any], file: str = "") -> Iterator[Finding]:
    """No root, OU or account may carry more policies of a type than AWS allows,
    counting the AWS-managed FullAWSAccess / RCPFullAWSAccess where attached.

    Passes: an OU with FullAWSAccess and 4 SCPs (quota 10).
    Fails: an OU with 5 custom RCPs: with RCPFullAWSAccess that is 6 of 5 ->
    QUOTA_POLICIES_PER_TARGET.
    """
    for level in spec.targets():
        for ptype in spec.organization.enabled_policy_types:
            limit = (quotas.get(ptype) or {}).get("max_attached_per_target")
            here = attached(spec, rendered, level, ptype)
            if limit and len(here) > limit:
                names = ", ".join(p.name for p in here)
                yield finding("QUOTA_POLICIES_PER_TARGET", f"{level} has {len(here)} "
                              f"{ptype} attached ({names}); AWS allows {limit}", file=file,
                              key=level)
