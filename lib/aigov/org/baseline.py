"""A behaviour baseline: policy tests that record what the organization decides today.

Written by ``aigov import`` as ``tests/baseline.yaml`` beside the imported spec, in the
policy-test format (``docs/import.md``), so that a later edit of a
policy shows, as failed expectations, exactly which decisions it changes.

Requests: the guardrail scenarios the project ships (every distinct request of
``policies/tests/*.yaml``), plus, for each service the live SCPs and RCPs name, one
request that some level allows and one that some level denies (when one exists), found
by trying the service's actions from the IAM catalogue.

Targets: Root and every OU or account with policies of its own (an SCP or RCP attached
there, or FullAWSAccess taken away). A level with nothing of its own decides exactly as
its parent does, so testing it again adds cases, not information; that keeps the
baseline linear in the levels that matter, not in every account of a large organization.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from aigov.policy.bundle import Bundle
from aigov.policy.checks.catalogue import actions, match_actions, services
from aigov.policy.render import RenderedPolicy
from aigov.policy.simulate import OrgModel, load_cases
from aigov.policy.types import PolicyType
from aigov.spec.model import ROOT, Spec

SCP, RCP = PolicyType.SCP.value, PolicyType.RCP.value
# Regions tried for the per-service requests: a usual one, and one that region
# allow-lists rarely include (opt-in, Hong Kong).
REGIONS = ("us-east-1", "ap-east-1")
MAX_ACTIONS_TRIED = 25


@dataclass(frozen=True)
class Scenario:
    """One request, asked of every baseline target."""

    label: str
    action: str
    resource: str = "*"
    context: dict[str, Any] = field(default_factory=dict)
    principal: str | None = None
    account: str | None = None

    @property
    def key(self) -> str:
        return json.dumps([self.action.lower(), self.resource, self.context, self.principal,
                           self.account], sort_keys=True)


def shipped_scenarios(tests_dir: Path) -> list[Scenario]:
    """Every distinct request of the project's guardrail tests (first name wins)."""
    seen: dict[str, Scenario] = {}
    for path in sorted(tests_dir.glob("*.yaml")):
        for c in load_cases(path):
            s = Scenario(c.name, c.action, c.resource, dict(c.context), c.principal, c.account)
            seen.setdefault(s.key, s)
    return list(seen.values())


def baseline_targets(spec: Spec) -> list[str]:
    """Root, then each OU and account holding an SCP or RCP of its own or lacking
    FullAWSAccess (spec order)."""
    own = {spec.normalize_target(t) for p in spec.policies if p.type in (SCP, RCP)
           for t in p.targets}
    own |= {spec.normalize_target(t) for t in spec.organization.full_aws_access.detach_from}
    out = [ROOT]
    out += [path for path in spec.ou_paths() if path in own]
    # An account by its handle: the name, or the id where accounts share the name.
    out += [spec.account_key(a).removeprefix("account:") for a in spec.accounts
            if spec.account_key(a) in own and a.id != spec.organization.management_account_id]
    return out


def mentioned_services(rendered: Iterable[RenderedPolicy]) -> list[str]:
    """Service prefixes (catalogue spelling) named in the Action or NotAction of SCPs
    and RCPs, sorted; ``*`` and unknown prefixes are skipped."""
    known = services()
    found: set[str] = set()
    for pol in rendered:
        if pol.type not in (SCP, RCP):
            continue
        for pattern in _action_patterns(pol.document):
            prefix = pattern.partition(":")[0].lower()
            if prefix in known:
                found.add(prefix)
    return sorted(found)


def _action_patterns(document: Any) -> list[str]:
    stmts = document.get("Statement", []) if isinstance(document, dict) else []
    stmts = [stmts] if isinstance(stmts, dict) else stmts
    out: list[str] = []
    for st in stmts if isinstance(stmts, list) else []:
        if not isinstance(st, dict):
            continue
        for element in ("Action", "NotAction"):
            raw = st.get(element, [])
            out += [raw] if isinstance(raw, str) else [a for a in raw if isinstance(a, str)]
    return out


def _candidate_actions(service: str, rendered: Iterable[RenderedPolicy]) -> list[str]:
    """The service's actions the policies name (wildcards expanded), then the rest of
    the catalogue's, at most ``MAX_ACTIONS_TRIED``, in a fixed order."""
    catalogue = actions(service)
    named: dict[str, None] = {}
    for pol in rendered:
        if pol.type in (SCP, RCP):
            for pattern in _action_patterns(pol.document):
                if pattern.partition(":")[0].lower() == service:
                    named.update((a, None) for _s, a in sorted(match_actions(pattern)))
    order = [*named, *sorted(catalogue)]
    names = [f"{service}:{catalogue[a]['name']}" for a in dict.fromkeys(order) if a in catalogue]
    return names[:MAX_ACTIONS_TRIED]


def service_scenarios(model: OrgModel, targets: Sequence[str],
                      rendered: Sequence[RenderedPolicy]) -> list[Scenario]:
    """For each service the live SCPs and RCPs name: one request some target allows and
    one some target denies (none when no tried request is denied anywhere)."""
    out: list[Scenario] = []
    for service in mentioned_services(rendered):
        allowed = denied = None
        for action in _candidate_actions(service, rendered):
            for region in REGIONS:
                context = {"aws:RequestedRegion": region}
                got = {model.simulate(t, action, "*", context).decision for t in targets}
                if allowed is None and "allow" in got:
                    allowed = Scenario(f"{action} in {region} (allowed somewhere today)",
                                       action, "*", context)
                if denied is None and "deny" in got:
                    denied = Scenario(f"{action} in {region} (denied somewhere today)",
                                      action, "*", context)
            if allowed and denied:
                break
        out += [s for s in (allowed, denied) if s is not None]
    return out


def baseline_cases(model: OrgModel, targets: Sequence[str],
                   scenarios: Sequence[Scenario]) -> list[dict[str, Any]]:
    """One case per scenario and target, expecting today's decision."""
    cases = []
    for s in scenarios:
        for target in targets:
            decision = model.simulate(target, s.action, s.resource, s.context, s.principal,
                                      s.account).decision
            case: dict[str, Any] = {"name": f"{s.label} [{target}]", "target": target,
                                    "action": s.action, "resource": s.resource}
            if s.context:
                case["context"] = s.context
            if s.principal:
                case["principal"] = s.principal
            if s.account:
                case["account"] = s.account
            case["expect"] = decision
            cases.append(case)
    return cases


def build_baseline(bundle: Bundle, shipped_tests: Path | None) -> list[dict[str, Any]]:
    """The baseline's cases for an imported spec's bundle (``shipped_tests``: the
    project's ``policies/tests`` folder, or None to use only the per-service requests)."""
    model = bundle.model()
    targets = baseline_targets(bundle.spec)
    scenarios = shipped_scenarios(shipped_tests) if shipped_tests else []
    scenarios += service_scenarios(model, targets, list(bundle.rendered.values()))
    return baseline_cases(model, targets, scenarios)


def baseline_yaml(cases: Sequence[dict[str, Any]], source: str) -> str:
    head = (f"# Behaviour baseline written by `aigov import` from {source}: what the\n"
            "# organization decides today. Run `aigov test-policies --spec "
            "organization.yaml`;\n# after an edit, a failed case is a decision the edit "
            "changes. Keep or update it.\n")
    # libyaml's emitter when present: a large organization's baseline has thousands of cases.
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return head + yaml.dump({"cases": list(cases)}, Dumper=dumper, sort_keys=False,
                            allow_unicode=True, width=120)
