"""Read-only clients by construction: a botocore hook refuses every write before the
request is signed or sent.

botocore emits ``before-call.<service>.<operation>`` in ``BaseClient._make_api_call``
after the parameters are validated and before the request is built, signed and sent
(https://boto3.amazonaws.com/v1/documentation/api/latest/guide/events.html). Raising
there means nothing leaves the process. The allowed operations are reads by AWS's
naming: ``Describe*``, ``List*``, ``Get*`` (``sts:GetCallerIdentity`` among them).
A read-only run (the audit profile, ``aigov drift`` and ``plan``, preflight, discovery)
never holds anything else.
"""

from __future__ import annotations

from typing import Any

from aigov.errors import ReadOnlyError

READ_PREFIXES = ("Describe", "List", "Get")


def is_read(operation: str) -> bool:
    """``ListAccounts`` and ``GetCallerIdentity`` read; ``CreatePolicy`` does not.

    >>> is_read("DescribeOrganization"), is_read("AttachPolicy")
    (True, False)
    """
    return operation.startswith(READ_PREFIXES)


def _refuse_writes(model: Any, **_: Any) -> None:
    if not is_read(model.name):
        service = model.service_model.service_name
        raise ReadOnlyError(f"refused {service}:{model.name}: this client is read-only, "
                            "and the request was not sent",
                            fix="a read-only run (read_only=true, the audit profile, "
                            "aigov drift/plan) never writes; run `aigov apply` or the "
                            "deploy notebooks with a profile that may write")


def make_read_only(client: Any) -> Any:
    """Register the refusal on ``client`` and return it."""
    client.meta.events.register("before-call", _refuse_writes, unique_id="aigov-read-only")
    return client
