"""Discovery, plan and the direct engine's structure half against a real moto server."""

from __future__ import annotations

import pytest

from aigov.errors import ApplyError
from aigov.org.apply import apply_plan
from aigov.org.discover import discover
from aigov.org.plan import Plan, plan_structure
from aigov.spec import load_spec
from aigov.target import calls
from aigov.target.clients import clients
from aigov.target.emulator import Emulator
from conftest import FIXTURES


@pytest.fixture
def spec():
    return load_spec()


def _structure(spec, inv) -> Plan:
    return Plan(tuple(plan_structure(spec, inv)))


def test_discover_without_an_organization_is_empty(emulator):
    inv = discover(clients(emulator.url).writable())
    assert not inv.exists
    assert inv.caller_account_id == "123456789012"


def test_plan_on_an_empty_account_creates_everything_in_order(emulator, spec):
    changes = _structure(spec, discover(clients(emulator.url).writable())).changes
    kinds = [c.kind for c in changes]
    assert kinds[0] == "organization"
    assert kinds.index("ou") < kinds.index("account")
    ou_paths = [c.key for c in changes if c.kind == "ou"]
    assert ou_paths.index("AI") < ou_paths.index("AI/Development")
    assert {c.key for c in changes if c.kind == "account"} == {a.name for a in spec.accounts}


@pytest.mark.slow
def test_apply_builds_the_tree_and_a_second_plan_is_empty(emulator, spec):
    c = clients(emulator.url).writable()
    apply_plan(c, _structure(spec, discover(c)))
    inv = discover(c)
    assert set(inv.ous) == set(spec.ou_paths())
    assert inv.enabled_policy_types == set(spec.organization.enabled_policy_types)
    assert inv.path_of_parent(inv.accounts["ai-dev"].parent_id) == "AI/Development"
    assert _structure(spec, inv).empty


@pytest.mark.slow
def test_account_moved_by_hand_is_planned_back_into_its_ou(emulator, spec):
    c = clients(emulator.url).writable()
    apply_plan(c, _structure(spec, discover(c)))
    inv = discover(c)
    c.organizations.move_account(AccountId=inv.accounts["ai-dev"].id,
                                 SourceParentId=inv.ous["AI/Development"].id,
                                 DestinationParentId=inv.ous["Sandbox"].id)
    changes = _structure(spec, discover(c)).changes
    assert [(ch.action, ch.key, ch.detail) for ch in changes] == [
        ("move", "ai-dev", {"from": "Sandbox", "to": "AI/Development",
                            "id": inv.accounts["ai-dev"].id})]
    apply_plan(c, Plan(changes))
    assert _structure(spec, discover(c)).empty


@pytest.mark.slow
def test_an_existing_organization_is_adopted_not_created_again(emulator, spec):
    c = clients(emulator.url).writable()
    org_id = c.organizations.create_organization(FeatureSet="ALL")["Organization"]["Id"]
    changes = _structure(spec, discover(c)).changes
    assert "organization" not in {ch.kind for ch in changes}
    apply_plan(c, Plan(changes))
    assert discover(c).organization_id == org_id


@pytest.mark.slow
def test_discovery_uses_list_calls_not_per_account_describes(emulator, spec):
    """Count every request discovery sends (``aigov.target.calls``) by operation."""
    c = clients(emulator.url).writable()
    apply_plan(c, _structure(spec, discover(c)))
    calls.reset()
    discover(c)
    ops = calls.counts()
    assert "organizations.DescribeAccount" not in ops
    assert ops["organizations.ListAccountsForParent"] == 1 + len(spec.ou_paths())


@pytest.mark.slow
def test_apply_stopped_halfway_is_finished_by_a_rerun(tmp_path, spec):
    """Stop the emulator in the middle of an apply (its state survives on disk, as an
    organization survives a lost connection), start it again, and re-run."""
    emu = Emulator(state_dir=tmp_path)
    c = clients(emu.url).writable()
    full = _structure(spec, discover(c))
    stop_at = len(full.changes) // 2

    def stop_midway(i, n, change):
        if i == stop_at:
            emu.stop()

    with pytest.raises(ApplyError) as err:
        apply_plan(c, full, stop_midway)
    assert err.value.exit_code == 1

    emu = Emulator(state_dir=tmp_path)
    try:
        c = clients(emu.url).writable()
        rest = _structure(spec, discover(c))
        assert 0 < len(rest.changes) < len(full.changes)
        assert rest.changes == full.changes[stop_at:]
        apply_plan(c, rest)
        assert _structure(spec, discover(c)).empty
    finally:
        emu.stop()


def test_fixture_spec_with_account_in_root_plans_no_move(emulator):
    spec = load_spec(FIXTURES / "spec" / "valid.yaml")
    c = clients(emulator.url).writable()
    apply_plan(c, _structure(spec, discover(c)))
    assert discover(c).path_of_parent(discover(c).accounts["ai-dev"].parent_id) == "AI/Development"


@pytest.mark.slow
def test_in_flight_account_requests_are_listed_once_per_apply_not_per_account(emulator, spec):
    """ListCreateAccountStatus answers for every request at once; listing it before each
    CreateAccount cost one call per account (1,000 at 1,000 accounts)."""
    from aigov.target import calls

    c = clients(emulator.url).writable()
    calls.reset()
    apply_plan(c, _structure(spec, discover(c)))
    got = calls.counts()
    assert got["organizations.CreateAccount"] == len(spec.accounts) > 1
    assert got["organizations.ListCreateAccountStatus"] == 1
    assert got["organizations.ListAccounts"] == 1


def test_enabling_policy_types_discovers_once_after_the_last_not_after_each(emulator, spec):
    """Each enabled type was followed by a full discovery (5 for the starter spec); the
    FullAWSAccess id is needed only once, before the next other change."""
    from aigov.target import calls

    c = clients(emulator.url).writable()
    calls.reset()
    apply_plan(c, _structure(spec, discover(c)))
    got = calls.counts()
    assert got["organizations.EnablePolicyType"] == len(spec.organization.enabled_policy_types) > 1
    # no root before the organization exists; one after creating it, one after the types
    assert got["organizations.ListRoots"] == 2
    assert _structure(spec, discover(c)).empty
