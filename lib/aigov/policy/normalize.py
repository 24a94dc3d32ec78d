"""One equality of policy documents, used by plan and drift alike.

AWS keeps the text it was sent, so a policy another tool wrote (or pretty-printed, or
reordered) differs as text from the spec's rendering while saying the same thing. Plan
and drift must agree on "in sync" (docs/contracts/plan-and-drift.md): both ask
``same_policy``, which compares ``normalize_document`` forms.
"""

from __future__ import annotations

import json
from typing import Any


def normalize_document(value: Any) -> Any:
    """A canonical form of a policy document in which equivalent documents are equal.

    IAM-style grammar (SCPs, RCPs) and the management policies' ``@@assign`` lists treat
    every list as a set: the order of ``Statement``, ``Action``, ``Resource``, principals
    and condition values does not matter, and a one-item list means its item
    (``"Action": ["s3:*"]`` is ``"Action": "s3:*"``; a ``Statement`` object is a
    one-statement list). Condition values are strings to IAM, so ``86400`` and
    ``"86400"``, ``true`` and ``"true"`` are the same. Key order never matters.

    >>> normalize_document({"Action": ["b", "a"]}) == normalize_document({"Action": ["a", "b"]})
    True
    >>> normalize_document({"Effect": "Deny"}) == normalize_document({"Effect": "Allow"})
    False
    """
    if isinstance(value, dict):
        return tuple(sorted((str(k), normalize_document(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        items = sorted({_sort_key(normalize_document(v)): normalize_document(v)
                        for v in value}.items())
        return items[0][1] if len(items) == 1 else tuple(v for _, v in items)
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return None
    return str(value)


def _sort_key(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def same_policy(live: str, wanted: str) -> bool:
    """Whether two policy texts say the same thing (``normalize_document``); texts that
    are not JSON are compared as text."""
    try:
        return normalize_document(json.loads(live)) == normalize_document(json.loads(wanted))
    except ValueError:
        return live == wanted
