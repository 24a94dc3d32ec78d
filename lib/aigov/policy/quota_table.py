"""AWS's quotas on policies as data (``quotas.yaml``: size and attachments per type, with
source and date), read once. Imports nothing from aigov: the spec layer checks a spec's
``quotas:`` keys against it, the policy checks (``checks/quotas.py``) apply it
(docs/architecture.md, "Layers").
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import yaml


@cache
def default_quotas() -> dict[str, Any]:
    text = resources.files("aigov.policy").joinpath("quotas.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


def known_quota_keys() -> dict[str, set[str]]:
    """The keys a spec's ``quotas:`` may set: each policy type with its fields, and the
    plain settings (with no fields)."""
    return {k: (set(v) if isinstance(v, dict) else set())
            for k, v in default_quotas().items()}
