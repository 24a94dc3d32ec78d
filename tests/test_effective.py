"""Effective management policies offline (policy/effective.py) against AWS's documented
inheritance examples: AWS Organizations User Guide, "Policy syntax and inheritance for
management policy types" > "Inheritance examples" (examples 1-6, tag policies; the
organization: Root > OU1 (accounts 111111111111, 222222222222), OU2 (999999999999)),
plus property tests of the child control operators."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from aigov.policy.effective import effective_policy

TAG = "TAG_POLICY"
POLICY_A = {"tags": {"costcenter": {"tag_key": {"@@assign": "CostCenter"},
                                    "tag_value": {"@@assign": ["Development", "Support"]}}}}
POLICY_C = {"tags": {"costcenter": {"tag_key": {"@@assign": "CostCenter"},
                                    "tag_value": {"@@append": ["Marketing"]},
                                    "enforced_for": {"@@append": ["redshift:*",
                                                                  "dynamodb:table"]}}}}


def eff(*levels):
    return effective_policy([(f"level{i}", list(p)) for i, p in enumerate(levels)], TAG)


def test_example_1_child_assign_overwrites_inherited_tag_values():
    """Example 1: policy B (@@assign [Sandbox], enforced_for) at OU1 overwrites A's values."""
    b = {"tags": {"costcenter": {"tag_key": {"@@assign": "CostCenter"},
                                 "tag_value": {"@@assign": ["Sandbox"]},
                                 "enforced_for": {"@@assign": ["redshift:*", "dynamodb:table"]}}}}
    got = eff([("A", POLICY_A)], [("B", b)])
    assert got.content == {"tags": {"costcenter": {
        "tag_key": "CostCenter", "tag_value": ["Sandbox"],
        "enforced_for": ["redshift:*", "dynamodb:table"]}}}


def test_example_2_append_adds_to_inherited_values():
    """Example 2: policy C at OU2 appends Marketing: account 999999999999 gets
    [Development, Support, Marketing] and the enforced_for list."""
    got = eff([("A", POLICY_A)], [("C", POLICY_C)])
    assert got.content == {"tags": {"costcenter": {
        "tag_key": "CostCenter", "tag_value": ["Development", "Support", "Marketing"],
        "enforced_for": ["redshift:*", "dynamodb:table"]}}}


def test_example_3_remove_takes_values_out_and_an_emptied_list_disappears():
    """Example 3: policy D at account 999999999999 removes Development and Marketing and
    the enforced_for entries: only Support is left and compliance is not enforced. (The
    printed policy D nests enforced_for inside tag_value, a typo the text contradicts; it
    is written here as tag_value's sibling.)"""
    d = {"tags": {"costcenter": {"tag_key": {"@@assign": "CostCenter"},
                                 "tag_value": {"@@remove": ["Development", "Marketing"]},
                                 "enforced_for": {"@@remove": ["redshift:*", "dynamodb:table"]}}}}
    got = eff([("A", POLICY_A)], [("C", POLICY_C)], [("D", d)])
    assert got.content == {"tags": {"costcenter": {"tag_key": "CostCenter",
                                                   "tag_value": ["Support"]}}}


def test_example_4_none_locks_the_key_while_append_is_allowed_on_values():
    """Example 4: E locks tag_key with @@none and allows @@append on tag_value; F's
    @@assign "PROJECT" is ignored ("policy F attempts to change the case treatment, but it
    can't"), its append applies. The page prints "project"; its text says the key stays."""
    e = {"tags": {"project": {
        "tag_key": {"@@operators_allowed_for_child_policies": ["@@none"], "@@assign": "Project"},
        "tag_value": {"@@operators_allowed_for_child_policies": ["@@append"],
                      "@@assign": ["Maintenance", "Escalations"]}}}}
    f = {"tags": {"project": {"tag_key": {"@@assign": "PROJECT"},
                              "tag_value": {"@@append": ["Escalations - research"]}}}}
    got = eff([("E", e)], [("F", f)])
    assert got.content == {"tags": {"project": {
        "tag_key": "Project",
        "tag_value": ["Maintenance", "Escalations", "Escalations - research"]}}}
    assert [(i.policy, i.path, i.operator) for i in got.ignored] == [
        ("F", ("tags", "project", "tag_key"), "@@assign")]


def test_example_5_child_control_operators_at_one_level_intersect():
    """Example 5: G allows @@append, H @@append and @@remove, both at the root: children
    may append but not remove Maintenance."""
    g = {"tags": {"project": {"tag_value": {
        "@@operators_allowed_for_child_policies": ["@@append"], "@@assign": ["Maintenance"]}}}}
    h = {"tags": {"project": {"tag_value": {
        "@@operators_allowed_for_child_policies": ["@@append", "@@remove"]}}}}
    child = {"tags": {"project": {"tag_value": {"@@remove": ["Maintenance"],
                                                "@@append": ["Research"]}}}}
    got = eff([("G", g), ("H", h)], [("child", child)])
    assert got.content == {"tags": {"project": {"tag_value": ["Maintenance", "Research"]}}}
    assert [i.operator for i in got.ignored] == ["@@remove"]


def test_example_6_first_policy_attached_at_a_level_wins():
    """Example 6: J (PROJECT, append Maintenance) is attached to the root before K
    (project): the effective key is PROJECT. (The page also lists "Escalations", which no
    policy of the example sets.)"""
    j = {"tags": {"project": {"tag_key": {"@@assign": "PROJECT"},
                              "tag_value": {"@@append": ["Maintenance"]}}}}
    k = {"tags": {"project": {"tag_key": {"@@assign": "project"}}}}
    got = eff([("J", j), ("K", k)])
    assert got.content == {"tags": {"project": {"tag_key": "PROJECT",
                                                "tag_value": ["Maintenance"]}}}


def test_opt_out_and_bedrock_merge_per_service_and_per_region():
    """Settings merge key by key: a child's Region or service adds to the parent's."""
    root = {"bedrock": {"guardrail_inference": {"us-east-1": {"config_1": {
        "identifier": {"@@assign": "arn:aws:bedrock:us-east-1:111122223333:guardrail/abc:1"},
        "input_tags": {"@@assign": "honor"}}}}}}
    ou = {"bedrock": {"guardrail_inference": {"eu-west-1": {"config_1": {
        "identifier": {"@@assign": "arn:aws:bedrock:eu-west-1:111122223333:guardrail/def:2"},
        "input_tags": {"@@assign": "ignore"}}}}}}
    got = effective_policy([("Root", [("r", root)]), ("AI", [("o", ou)])], "BEDROCK_POLICY")
    regions = got.content["bedrock"]["guardrail_inference"]
    assert sorted(regions) == ["eu-west-1", "us-east-1"]
    assert regions["eu-west-1"]["config_1"]["input_tags"] == "ignore"
    described = got.describe("999999999999")["EffectivePolicy"]
    assert described["TargetId"] == "999999999999"
    assert json.loads(described["PolicyContent"]) == got.content


_OPS = st.sampled_from(["@@assign", "@@append", "@@remove"])
_VALS = st.lists(st.sampled_from(["a", "b", "c", "d"]), min_size=1, max_size=3)


@settings(max_examples=200, deadline=None)
@given(locked=_VALS, below=st.lists(st.lists(st.tuples(_OPS, _VALS), max_size=3),
                                    min_size=1, max_size=4),
       where=st.sampled_from([("tags",), ("tags", "t"), ("tags", "t", "tag_value")]))
def test_a_none_lock_is_never_overridden_below_it(locked, below, where):
    """Whatever policies below do, a setting under an ``@@none`` lock keeps its value."""
    root: dict = {"tags": {"t": {"tag_value": {"@@assign": locked}}}}
    node = root
    for key in where:
        node = node[key]
    node["@@operators_allowed_for_child_policies"] = ["@@none"]
    levels = [("Root", [("lock", root)])]
    for n, ops in enumerate(below):
        levels.append((f"L{n}", [(f"p{n}", {"tags": {"t": {"tag_value": dict(ops)}}})]))
    got = effective_policy(levels, TAG)
    assert got.content == {"tags": {"t": {"tag_value": locked}}}


@settings(max_examples=200, deadline=None)
@given(allowed=st.sets(_OPS, min_size=1), ops=st.lists(st.tuples(_OPS, _VALS), max_size=3))
def test_only_allowed_operators_change_a_setting(allowed, ops):
    """A child operator outside the parent's allowed list is ignored and recorded."""
    root = {"tags": {"t": {"tag_value": {"@@assign": ["a"],
                                         "@@operators_allowed_for_child_policies": sorted(allowed)}}}}
    child = {"tags": {"t": {"tag_value": dict(ops)}}}
    got = effective_policy([("Root", [("r", root)]), ("OU", [("c", child)])], TAG)
    assert {i.operator for i in got.ignored} == {op for op, _ in dict(ops).items()} - allowed


def test_cli_prints_the_starter_specs_effective_opt_out_in_describe_effective_policy_shape(
        capsys):
    from aigov.cli import main

    assert main(["effective", "--account", "ai-dev", "--type", "AISERVICES_OPT_OUT_POLICY",
                 "--json"]) == 0
    out = json.loads(capsys.readouterr().out)["EffectivePolicy"]
    assert out["PolicyType"] == "AISERVICES_OPT_OUT_POLICY" and out["TargetId"] == "ai-dev"
    assert json.loads(out["PolicyContent"])["services"]["default"] == {"opt_out_policy": "optOut"}


def test_cli_unknown_account_or_authorization_type_is_usage_error(capsys):
    from aigov.cli import main

    assert main(["effective", "--account", "nope", "--type", "TAG_POLICY"]) == 2
    assert main(["effective", "--account", "ai-dev", "--type", "SERVICE_CONTROL_POLICY"]) == 2
    assert "aigov simulate" in capsys.readouterr().err


EXAMPLES = str(Path(__file__).parent / "fixtures" / "effective" / "aws_examples" / "organization.yaml")


def test_aigov_effective_reproduces_awss_examples_from_a_spec(capsys):
    """The examples' organization as a spec: account 111111111111 (OU1) gets example 1's
    result, account 999999999999 (OU2, policy D) example 3's, and OU2 itself example 2's."""
    from aigov.cli import main

    def run(target: str) -> dict:
        assert main(["effective", "--spec", EXAMPLES, "--account", target, "--type",
                     "TAG_POLICY", "--json"]) == 0
        return json.loads(json.loads(capsys.readouterr().out)["EffectivePolicy"]["PolicyContent"])

    assert run("111111111111") == {"tags": {"costcenter": {
        "tag_key": "CostCenter", "tag_value": ["Sandbox"],
        "enforced_for": ["redshift:*", "dynamodb:table"]}}}
    assert run("999999999999") == {"tags": {"costcenter": {"tag_key": "CostCenter",
                                                           "tag_value": ["Support"]}}}
    assert run("OU2") == {"tags": {"costcenter": {
        "tag_key": "CostCenter", "tag_value": ["Development", "Support", "Marketing"],
        "enforced_for": ["redshift:*", "dynamodb:table"]}}}
