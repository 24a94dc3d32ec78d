"""The guardrail library: every case of policies/tests/*.yaml holds under the real policy
engine (aigov.policy.evaluate), and every SCP/RCP guardrail is proven both ways: some
case is denied by that very policy, and some allowed case runs where it is attached."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from aigov.policy.evaluate import Evaluator, chain, make_request
from aigov.policy.parse import parse_policy
from aigov.policy.render import attached, render_spec
from aigov.spec import load_spec

REPO = Path(__file__).resolve().parents[1]
SPEC = load_spec(REPO / "policies" / "organization.yaml")
RENDERED = render_spec(SPEC)
SEED = "ai-model-dev-policy"  # the seed's allow-list: it restricts nothing (lint warns)
MINE = sorted(p.name for p in SPEC.policies if p.name != SEED
              and p.type in ("SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"))
CASES = [(f.name, c) for f in sorted((REPO / "policies" / "tests").glob("*.yaml"))
         for c in yaml.safe_load(f.read_text())["cases"]]
_parsed = {n: parse_policy(r.document, name=n, policy_type=r.type) for n, r in RENDERED.items()
           if r.type in ("SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY")}


def _chain(kind: str, target: str):
    def parsed(r):
        return _parsed.get(r.name) or parse_policy(r.document, name=r.name, policy_type=r.type)
    return chain(kind, [(lv, [parsed(r) for r in attached(SPEC, RENDERED, lv, kind)])
                        for lv in SPEC.levels(target)])


def decide(case: dict):
    req = make_request(case["action"], case.get("resource", "*"), case.get("context") or {},
                       principal=case.get("principal"))
    rcps = _chain("RESOURCE_CONTROL_POLICY", case["target"]) \
        if "RESOURCE_CONTROL_POLICY" in SPEC.organization.enabled_policy_types else None
    return Evaluator(cache=False).decide(
        req, _chain("SERVICE_CONTROL_POLICY", case["target"]), rcps,
        management_account=SPEC.organization.management_account_id)


@pytest.mark.parametrize(("file", "case"), CASES, ids=[f"{f}:{c['name']}" for f, c in CASES])
def test_policy_case_decides_as_expected(file, case):
    d = decide(case)
    assert d.decision == case["expect"], d.reason


@pytest.mark.parametrize("name", MINE)
def test_every_guardrail_denies_some_case_itself(name):
    assert any(decide(c).deny is not None and decide(c).deny.policy == name
               for _, c in CASES if c["expect"] == "deny"), f"no deny case is decided by {name}"


@pytest.mark.parametrize("name", MINE)
def test_every_guardrail_has_an_allowed_case_where_it_applies(name):
    where = {SPEC.normalize_target(t) for t in SPEC.policy(name).targets}
    assert any(c["expect"] == "allow" and where & set(SPEC.levels(c["target"]))
               for _, c in CASES), f"no allow case runs under {name}"


def test_opt_out_policy_opts_every_service_out_and_locks_it():
    (opt,) = [r for r in RENDERED.values() if r.type == "AISERVICES_OPT_OUT_POLICY"]
    default = opt.document["services"]["default"]["opt_out_policy"]
    assert default == {"@@assign": "optOut", "@@operators_allowed_for_child_policies": ["@@none"]}
    assert [p.targets for p in SPEC.policies if p.name == opt.name] == [("Root",)]


def test_tag_policy_fixes_required_keys_and_classification_values():
    (tag,) = [r for r in RENDERED.values() if r.type == "TAG_POLICY"]
    tags = tag.document["tags"]
    assert sorted(tags) == sorted(SPEC.parameters["required_tags"])
    assert tags["data-classification"]["tag_value"]["@@assign"] == \
        SPEC.parameters["data_classification_values"]
