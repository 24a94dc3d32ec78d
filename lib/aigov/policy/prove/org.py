"""``aigov prove``: ``policies/properties/*.yaml`` over the spec's targets.

A property's target covers itself and, for Root or an OU, every OU and account below it
(docs/contracts/properties.md). Each covered OU stands for an account placed in it, as in
``aigov simulate``. Targets whose SCP and RCP chains hold the same policies are one
group (levels that only hold FullAWSAccess do not count, and the order of levels does
not matter), and all groups of a property are one solver query (see ``solve.py``): accounts
with the same policy path are one proof. ``${account}`` in the principal takes each
covered account's id; an account without an id in the spec, and an OU, use
111122223333, the simulator's account for an unnamed one.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aigov.errors import SpecError, UsageError
from aigov.findings import Finding, finding
from aigov.policy.bundle import Bundle
from aigov.policy.evaluate import Chain
from aigov.policy.parse import Policy
from aigov.policy.prove.encode import Group
from aigov.policy.prove.properties import BATCH_ACCOUNT, Property, load_properties
from aigov.policy.prove.solve import DEFAULT_TIMEOUT_MS, EncodingBug, Outcome, prove
from aigov.policy.simulate import MANAGEMENT, OrgModel, bundle_of
from aigov.spec.model import ROOT, Spec


@dataclass
class PropertyResult:
    """A property's outcome per group of targets, or the encoding bug that stopped it."""

    prop: Property
    outcomes: list[Outcome]
    seconds: float
    bug: str = ""

    @property
    def result(self) -> str:
        if self.bug:
            return "bug"
        got = {o.result for o in self.outcomes}
        return "refuted" if "refuted" in got else "unknown" if "unknown" in got else "proven"

    @property
    def passed(self) -> bool:
        """Proven; or, for ``outcome: refuted`` (a known gap), refuted as expected."""
        return self.result == self.prop.outcome

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.prop.name, "file": self.prop.file,
                               "line": self.prop.line, "expect": self.prop.expect,
                               "outcome": self.prop.outcome, "result": self.result,
                               "passed": self.passed, "seconds": round(self.seconds, 3)}
        if self.bug:
            out["reason"] = self.bug
        out["targets"] = [_outcome_dict(o) for o in self.outcomes]
        return out

    def render(self) -> str:
        mark = "ok  " if self.passed else "FAIL"
        known = " (known gap: outcome refuted)" if self.prop.outcome == "refuted" else ""
        lines = [f"{mark} {Path(self.prop.file).name}:{self.prop.line} {self.prop.name}: "
                 f"{self.result}{known} [{self.seconds:.2f}s]"]
        if self.bug:
            lines.append(f"     internal error: encoding bug: {self.bug}")
        for o in self.outcomes:
            if o.result == "refuted":
                lines.append(f"     refuted for {', '.join(o.group.targets)}: "
                             + json.dumps(o.counterexample))
                lines += ["       " + ln for ln in o.decision.explain().splitlines()]
            elif o.result == "unknown":
                lines.append(f"     unknown for {', '.join(o.group.targets)}: {o.reason}")
        return "\n".join(lines)


def _outcome_dict(o: Outcome) -> dict[str, Any]:
    out: dict[str, Any] = {"targets": list(o.group.targets), "result": o.result}
    if o.counterexample is not None:
        out["counterexample"] = o.counterexample
        out["decision"] = o.decision.to_dict() if o.decision else None
    if o.reason:
        out["reason"] = o.reason
    return out


@dataclass
class ProofReport:
    results: list[PropertyResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(r.passed for r in self.results)

    @property
    def bugs(self) -> list[PropertyResult]:
        return [r for r in self.results if r.bug]

    def counts(self) -> dict[str, int]:
        out = {"proven": 0, "refuted": 0, "unknown": 0, "bug": 0}
        for r in self.results:
            out[r.result] += 1
        return out

    def render(self) -> str:
        c = self.counts()
        failed = sum(not r.passed for r in self.results)
        tail = (f"{c['proven']} proven, {c['refuted']} refuted, {c['unknown']} unknown"
                + (f", {c['bug']} encoding bug(s)" if c["bug"] else "")
                + f"; {failed} not as expected")
        return "\n".join([*(r.render() for r in self.results), tail])

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "counts": self.counts(),
                "properties": [r.to_dict() for r in self.results]}

    def findings(self) -> list[Finding]:
        """One ``PROPERTY_NOT_PROVEN`` finding per property not as expected."""
        return [finding("PROPERTY_NOT_PROVEN", f"{r.prop.name}: {r.result}, expected "
                        f"{r.prop.outcome}", file=r.prop.file, line=r.prop.line,
                        key=f"[{r.prop.index}]") for r in self.results if not r.passed]


def covered(model: OrgModel, target: str) -> list[str]:
    """Canonical keys a target covers: itself and every OU and account below it."""
    key = model.resolve(target)
    if key.startswith("account:") or key == MANAGEMENT:
        return [key]
    spec = model.spec
    below = [p for p in spec.ou_paths() if key == ROOT or p.startswith(key + "/")]
    accounts = []
    for a in spec.accounts:
        ou = model.resolve(a.ou) if a.ou else ROOT
        if key == ROOT or ou == key or ou.startswith(key + "/"):
            accounts.append(spec.account_key(a))
    return list(dict.fromkeys([key, *below, *accounts]))


def _allows_all(p: Policy) -> bool:
    """FullAWSAccess and its like: an unconditional Allow of everything, and no Deny."""
    return all(s.effect == "Allow" for s in p.statements) and any(
        s.actions.star and not s.not_action and s.resources.star and not s.not_resource
        and not s.conditions for s in p.statements)


def _chain_key(c: Chain | None) -> object:
    """What decides a chain: the set of its levels' policy sets (every level needs an
    Allow and any Deny wins, so order does not matter), leaving out the levels that only
    hold FullAWSAccess (they allow everything and deny nothing)."""
    if c is None:
        return None
    return frozenset(frozenset(id(p) for p in lv.policies) for lv in c.levels
                     if not (lv.policies and all(_allows_all(p) for p in lv.policies)))


def groups_for(model: OrgModel, targets: Sequence[str]) -> list[Group]:
    """The property's covered targets grouped by their chains' policies."""
    by_key: dict[tuple, dict[str, Any]] = {}
    for t in targets:
        for key in covered(model, t):
            scps, rcps = model.chain(key, "SCP"), model.chain(key, "RCP")
            gkey = (_chain_key(scps), _chain_key(rcps))
            g = by_key.setdefault(gkey, {"scps": scps, "rcps": rcps, "targets": [],
                                         "accounts": []})
            g["targets"].append(key.removeprefix("account:"))
            g["accounts"].append(model.account_id(key) or BATCH_ACCOUNT)
    return [Group(g["targets"][0], g["scps"], g["rcps"], tuple(dict.fromkeys(g["accounts"])),
                  model.management_account, tuple(dict.fromkeys(g["targets"])))
            for g in by_key.values()]


def properties_dir(spec: Spec) -> Path:
    base = spec.source.parent if spec.source else Path.cwd()
    return base / "properties"


def load_all_properties(spec: Spec, paths: Sequence[Path] | None = None) -> list[Property]:
    files = list(paths) if paths is not None else sorted(properties_dir(spec).glob("*.yaml"))
    props = [p for f in files for p in load_properties(Path(f))]
    seen: dict[str, Property] = {}
    for p in props:
        if p.name in seen:
            raise SpecError(f"property name {p.name!r} is also used in {seen[p.name].file}",
                            file=p.file, location=f"{p.where}.name",
                            fix="give each property its own name")
        seen[p.name] = p
    return props


def prove_property(model: OrgModel, prop: Property, *,
                   timeout_ms: int = DEFAULT_TIMEOUT_MS) -> PropertyResult:
    """One property over every target it covers."""
    try:
        groups = groups_for(model, prop.targets)
    except UsageError as exc:
        raise SpecError(exc.message, file=prop.file, location=f"{prop.where}.targets",
                        fix=exc.fix) from None
    t0 = time.perf_counter()
    try:
        outcomes = prove(prop, groups, timeout_ms=timeout_ms)
    except EncodingBug as exc:
        return PropertyResult(prop, [], time.perf_counter() - t0, bug=str(exc))
    return PropertyResult(prop, outcomes, time.perf_counter() - t0)


def run_proofs(spec: str | Spec | Bundle | None = None, *, model: OrgModel | None = None,
               paths: Sequence[Path] | None = None,
               timeout_ms: int = DEFAULT_TIMEOUT_MS) -> ProofReport:
    """``aigov prove``: every property of ``policies/properties/*.yaml`` against the spec."""
    if model is None:
        model = bundle_of(spec).model()
    props = load_all_properties(model.spec, paths)
    return ProofReport([prove_property(model, p, timeout_ms=timeout_ms) for p in props])
