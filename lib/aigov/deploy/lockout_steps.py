"""Lockout over a plan's steps: the live state, each change replayed, the engine's order.

``aigov.policy.lockout`` decides sentinels over a state (the spec's, for lint and the
gate); this module builds the live state from discovery, replays the plan's changes on
it in the order the engine really runs them, and reports a level that some intermediate
step would lock. It lives with the deploy gate, which is its one caller, because it
reads the org layer's inventory and plan (docs/architecture.md, "Layers").
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

from aigov.findings import Finding, finding
from aigov.org.inventory import Inventory
from aigov.org.plan import FULL_AWS_ACCESS, Change
from aigov.policy.lockout import (
    MANAGED,
    OU_ACCOUNT,
    ROOT,
    TYPES,
    Judge,
    Lock,
    OrgState,
    by_depth,
    sentinels,
    subtree,
    topmost,
)
from aigov.policy.managed import RCP_FULL_AWS_ACCESS_NAME, RenderedPolicy
from aigov.spec.model import Spec


def state_from_inventory(inv: Inventory) -> OrgState:
    """The live state discovery found."""
    enabled = {TYPES[t] for t in inv.enabled_policy_types if t in TYPES}
    state = OrgState(enabled=enabled)
    state.parents[ROOT] = None
    for path, ou in inv.ous.items():
        state.parents[path] = inv.path_of_parent(ou.parent_id)
    for name, acct in inv.accounts.items():
        if acct.id != inv.management_account_id:
            state.parents[f"account:{name}"] = inv.path_of_parent(acct.parent_id)
            state.account_ids[f"account:{name}"] = acct.id
    for kind in ("SCP", "RCP"):
        name, doc = MANAGED[kind]
        state.documents[(kind, name)] = doc
    if "RCP" in enabled:  # attached everywhere by AWS, and it cannot be detached
        for level in state.parents:
            state.attached["RCP"].setdefault(level, set()).add(RCP_FULL_AWS_ACCESS_NAME)
    for (ptype, name), pol in inv.policies.items():
        kind = TYPES.get(ptype)
        if kind is None:
            continue
        if not pol.aws_managed:
            state.documents[(kind, name)] = pol.content
        for tid in pol.targets:
            state.attached[kind].setdefault(inv.key_of(tid) or tid, set()).add(name)
    return state


def apply_change(state: OrgState, ch: Change) -> bool:
    """Replay one change; True when it can change a decision."""
    d = ch.detail
    if ch.kind == "policy_type" and ch.key in TYPES:
        kind = TYPES[ch.key]
        state.enabled.add(kind)  # AWS attaches the managed full-access policy everywhere
        for level in state.parents:
            state.attached[kind].setdefault(level, set()).add(MANAGED[kind][0])
    elif ch.kind in ("ou", "account") and ch.action in ("create", "move"):
        key = ch.key if ch.kind == "ou" else f"account:{ch.key}"
        state.parents[key] = d.get("parent") or d.get("ou") or d.get("to") or ROOT
        if ch.kind == "account":
            state.account_ids.setdefault(key, OU_ACCOUNT)
        if ch.action == "create":
            for kind in state.enabled:
                state.attached[kind][key] = {MANAGED[kind][0]}
    elif ch.kind == "policy" and d.get("type") in TYPES and ch.action in ("create", "update"):
        state.documents[(TYPES[d["type"]], ch.key)] = d.get("content", "")
    elif ch.kind == "attachment" and d.get("type") in TYPES:
        names = state.attached[TYPES[d["type"]]].setdefault(d["target"], set())
        (names.add if ch.action == "attach" else names.discard)(d["policy"])
    else:
        return False
    return True


def engine_steps(engine: str, changes: Sequence[Change]) -> list[Change]:
    """The order in which ``engine`` really makes ``changes``.

    ``direct`` applies the plan in its order. ``pulumi`` runs creates and updates in
    parallel as its dependency graph allows and deletes last (Pulumi, "How Pulumi
    works"), so the worst order is assumed: policy updates before new attachments, then
    detachments and deletes; FullAWSAccess, which is not Pulumi's, moves afterwards by
    the direct engine.
    """
    if engine != "pulumi":
        return list(changes)
    full = [c for c in changes if c.kind == "attachment"
            and c.detail.get("policy") == FULL_AWS_ACCESS]
    rest = [c for c in changes if c not in full]
    rank = {"create": 0, "enable": 0, "move": 0, "update": 1, "attach": 2, "detach": 3,
            "delete": 4}
    return [*sorted(rest, key=lambda c: rank.get(c.action, 0)), *full]


def changed_levels(state: OrgState, ch: Change) -> set[str]:
    """The levels whose sentinel decisions ``ch`` (already replayed) can change: every
    level for a newly enabled type; otherwise the subtree of the OU or account created or
    moved, of the attachment's target, or of each level the changed policy is attached to.
    The set is closed downward, so a level outside it keeps its decisions and its
    ancestors' decisions."""
    d = ch.detail
    if ch.kind == "policy_type":
        return set(state.parents)
    if ch.kind == "ou":
        return subtree(state, [ch.key])
    if ch.kind == "account":
        return subtree(state, [f"account:{ch.key}"])
    if ch.kind == "policy":
        kind = TYPES[d["type"]]
        return subtree(state, [level for level, names in state.attached[kind].items()
                               if ch.key in names])
    return subtree(state, [d["target"]])  # an attachment


def step_findings(spec: Spec, rendered: Mapping[str, RenderedPolicy], inv: Inventory,
                  steps: Sequence[Change]) -> Iterator[Finding]:
    """Replay ``steps`` over the live state: a level locked after some step, which is
    neither locked now (not the plan's doing) nor in the final state (reported by
    ``state_findings``), is reported once, at the first step that locks it.

    Each step re-judges only the levels it can change (``changed_levels``), so a plan
    creating a thousand accounts costs a thousand small judgements, not a thousand
    judgements of the whole organization."""
    judge = Judge(sentinels(spec), inv.management_account_id
                  or spec.organization.management_account_id)
    state = state_from_inventory(inv.bind(spec, strict=False))  # keyed as the spec means
    status: dict[str, Lock | None] = {lvl: judge.lock_at(state, lvl) for lvl in state.parents}
    skip = {lvl for lvl in status if topmost(state, status, lvl)}
    skip |= set(judge.locks(OrgState.from_spec(spec, rendered)))
    for i, ch in enumerate(steps):
        if not apply_change(state, ch):
            continue
        changed = changed_levels(state, ch)
        for level in changed:
            status[level] = judge.lock_at(state, level)
        for level in by_depth(state, changed):
            if level in skip or not topmost(state, status, level):
                continue
            skip.add(level)
            lock = status[level]
            assert lock is not None
            yield finding("LOCKOUT_UNSAFE_STEP", f"after step {i + 1} ({ch.describe()}) "
                          + lock.message(), key=level)

