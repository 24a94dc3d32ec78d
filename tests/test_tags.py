"""OU and account tags: the direct engine applies the spec's, drift reports differences."""

from __future__ import annotations

import pytest

from aigov.org.apply import apply_plan
from aigov.org.discover import discover, tag_scope
from aigov.org.drift import drift
from aigov.org.plan import Plan, build_plan, tag_changes
from aigov.spec import load_spec
from aigov.target import calls
from aigov.target.clients import clients
from conftest import FIXTURES

SPEC = FIXTURES / "tags" / "organization.yaml"


@pytest.fixture
def tagged(emulator):
    spec = load_spec(SPEC)
    c = clients(emulator.url).writable()
    apply_plan(c, build_plan(spec, discover(c)))
    return spec, c


def _tags(c, rid: str) -> dict[str, str]:
    return {t["Key"]: t["Value"]
            for t in c.organizations.list_tags_for_resource(ResourceId=rid)["Tags"]}


def test_direct_engine_creates_ous_and_accounts_with_the_specs_tags(tagged) -> None:
    spec, c = tagged
    inv = discover(c)
    assert _tags(c, inv.ous["AI"].id) == {"owner": "ai-platform", "cost-center": "4711"}
    assert inv.accounts["ai-dev"].tags == {"environment": "development"}
    assert inv.ous["AI/Development"].tags == {}
    assert build_plan(spec, inv).empty
    assert drift(spec, inv) == []


@pytest.mark.slow
def test_tags_changed_by_hand_are_drift_and_the_plan_puts_them_back(tagged) -> None:
    spec, c = tagged
    inv = discover(c)
    org = c.organizations
    org.tag_resource(ResourceId=inv.ous["AI"].id, Tags=[{"Key": "owner", "Value": "someone"},
                                                         {"Key": "extra", "Value": "x"}])
    org.untag_resource(ResourceId=inv.accounts["ai-dev"].id, TagKeys=["environment"])
    inv = discover(c)
    found = drift(spec, inv)
    assert sorted((f.code, f.location["key"]) for f in found) == [
        ("DRIFT_TAGS", "AI"), ("DRIFT_TAGS", "AI"), ("DRIFT_TAGS", "account:ai-dev")]
    assert any("owner='someone' (spec 'ai-platform')" in f.message for f in found)
    changes = build_plan(spec, inv).changes
    assert [(ch.action, ch.kind, ch.key) for ch in changes] == [
        ("tag", "ou", "AI"), ("untag", "ou", "AI"), ("tag", "account", "ai-dev")]
    apply_plan(c, Plan(changes), inventory=inv)
    inv = discover(c)
    assert inv.ous["AI"].tags == {"owner": "ai-platform", "cost-center": "4711"}
    assert build_plan(spec, inv).empty


def test_tag_changes_set_what_differs_and_remove_what_the_spec_lacks() -> None:
    changes = tag_changes("account", "dev", {"a": "1", "b": "2"}, {"a": "1", "c": "3"})
    assert [(c.action, c.detail) for c in changes] == [
        ("tag", {"tags": {"c": "3"}}), ("untag", {"keys": ["b"]})]
    assert tag_changes("ou", "AI", {"a": "1"}, {"a": "1"}) == []


def test_tags_are_read_only_for_the_ous_and_accounts_whose_spec_declares_them(tagged) -> None:
    """One ListTagsForResource per resource is the price of reading tags (no list call
    returns them): plan and drift read them only where the spec declares tags."""
    spec, c = tagged
    calls.reset()
    inv = discover(c, tags=tag_scope(spec))
    read = calls.counts().get("organizations.ListTagsForResource", 0)
    declared = [p for p, ou in spec.walk_ous() if ou.tags] + [a for a in spec.accounts
                                                              if a.tags]
    assert read == len(declared) < len(inv.ous) + len(inv.accounts)
    calls.reset()
    discover(c)  # "all": what import and Pulumi adoption need
    assert calls.counts()["organizations.ListTagsForResource"] == (
        len(inv.ous) + len(inv.accounts))
    assert build_plan(spec, inv).empty


def test_tags_on_an_ou_whose_spec_declares_none_are_left_alone_and_not_drift(tagged) -> None:
    """The documented blind spot of reading tags only where declared."""
    spec, c = tagged
    inv = discover(c)
    c.organizations.tag_resource(ResourceId=inv.ous["AI/Development"].id,
                                 Tags=[{"Key": "by-hand", "Value": "x"}])
    for scope in ("all", tag_scope(spec)):
        inv = discover(c, tags=scope)
        assert build_plan(spec, inv).empty
        assert drift(spec, inv) == []
