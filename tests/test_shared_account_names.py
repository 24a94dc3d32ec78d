"""Accounts of one name (AWS lets names repeat; docs/contracts/accounts.md): every layer
that keys accounts reads the spec's handle (the id where a name repeats), and a shared
name given as a target is refused with the account ids.

No emulator: the live state is an ``Inventory`` built here, as discovery would return it
(the lowest id holds the name, the other is shadowed). The emulator round trip is in
test_import.py and test_import_run.py.
"""

from __future__ import annotations

import pytest

from aigov.deploy.adopt import adoption
from aigov.deploy.program import attachments
from aigov.errors import UsageError
from aigov.org.drift import drift
from aigov.org.inventory import AccountInfo, Inventory, OUInfo, PolicyInfo
from aigov.org.plan import build_plan
from aigov.org.tree import tree_rows
from aigov.policy.effective import spec_effective_policy
from aigov.policy.lockout import OrgState
from aigov.policy.render import render_spec
from aigov.policy.simulate import OrgModel
from aigov.spec import load_spec
from aigov.widgets.tree import OUTreeBrowser, tree_order
from conftest import FIXTURES

A, B, SOLO = "111111111111", "222222222222", "333333333333"


@pytest.fixture
def spec():
    return load_spec(FIXTURES / "spec/shared_account_name.yaml")


def _live(spec, *, b_parent: str = "ou-r1-sandbox1", attached=(B, SOLO)) -> Inventory:
    """The organization the spec describes, as discovery sees it."""
    rendered = render_spec(spec)
    ous = {"AI": OUInfo("ou-r1-ai000001", "AI", "r-1", "AI"),
           "Sandbox": OUInfo("ou-r1-sandbox1", "Sandbox", "r-1", "Sandbox")}
    full = PolicyInfo("p-FullAWSAccess", "FullAWSAccess", "SERVICE_CONTROL_POLICY", "", "{}",
                      True, frozenset({"r-1", *(o.id for o in ous.values()), A, B, SOLO}))
    custom = PolicyInfo("p-allowall1", "allow-all", "SERVICE_CONTROL_POLICY", "",
                        rendered["allow-all"].text, False, frozenset(attached))
    return Inventory(
        organization_id="o-1", feature_set="ALL", root_id="r-1",
        enabled_policy_types=frozenset({"SERVICE_CONTROL_POLICY"}), ous=ous,
        accounts={"shared": AccountInfo(A, "shared", "shared-a@example.com", ous["AI"].id),
                  "solo": AccountInfo(SOLO, "solo", "solo@example.com", ous["AI"].id)},
        shadowed_accounts=(AccountInfo(B, "shared", "shared-b@example.com", b_parent),),
        policies={("SERVICE_CONTROL_POLICY", "FullAWSAccess"): full,
                  ("SERVICE_CONTROL_POLICY", "allow-all"): custom},
        duplicate_accounts={"name shared": (A, B)})


def test_plan_and_drift_match_each_shared_account_by_id(spec):
    inv = _live(spec)
    assert build_plan(spec, inv).empty
    assert drift(spec, inv) == []


def test_a_move_and_a_detach_name_the_account_by_id(spec):
    inv = _live(spec, b_parent="ou-r1-ai000001", attached=(A, SOLO))
    got = [(c.action, c.kind, c.key, c.detail.get("id")) for c in build_plan(spec, inv).changes]
    assert ("move", "account", B, B) in got
    assert ("attach", "attachment", f"allow-all -> account:{B}", None) in got
    assert ("detach", "attachment", f"allow-all -> account:{A}", None) in got


def test_a_missing_shared_account_is_created_under_its_name(spec):
    live = _live(spec)
    inv = Inventory(**{**live.__dict__, "shadowed_accounts": ()})
    creates = [c for c in build_plan(spec, inv).changes if c.action == "create"]
    assert [(c.key, c.detail["name"], c.detail["email"]) for c in creates] == [
        (B, "shared", "shared-b@example.com")]


def test_pulumi_logical_names_are_unique_and_made_from_the_id(spec):
    adopted = adoption(spec, render_spec(spec), _live(spec))
    accounts = sorted(k for k in adopted if k.startswith("account:"))
    assert accounts == [f"account:{A}", f"account:{B}", "account:solo"]
    assert adopted[f"account:{B}"].id == B and adopted[f"account:{B}"].inputs["name"] == "shared"
    assert attachments(spec) == [("allow-all", f"account:{B}"), ("allow-all", "account:solo")]
    assert f"attach:allow-all->account:{B}" in adopted


def test_lockout_state_tree_and_widgets_key_by_id_and_show_name_and_id(spec):
    state = OrgState.from_spec(spec, render_spec(spec))
    assert state.parents[f"account:{A}"] == "AI" and state.parents[f"account:{B}"] == "Sandbox"
    rows = {r["key"]: r for r in tree_rows(spec, _live(spec))}
    assert rows[f"account:{B}"]["label"] == f"shared ({B})"
    assert rows[f"account:{B}"]["id"] == B and rows[f"account:{A}"]["id"] == A
    assert tree_order(spec) == ["Root", "AI", f"account:{A}", "account:solo", "Sandbox",
                                f"account:{B}"]
    browser = OUTreeBrowser(spec, select=B)
    assert browser.accounts() == [f"shared ({B})"]
    assert browser.accounts("AI") == [f"shared ({A})", "solo"]
    assert browser.path == ["Root", "Sandbox", f"account:{B}"]


def test_simulate_and_effective_refuse_a_shared_name_and_take_the_id(spec):
    model = OrgModel(spec)
    assert model.account_id(B) == B
    with pytest.raises(UsageError) as err:
        model.simulate("shared", "s3:GetObject")
    assert err.value.fix == f"use the account id: one of {A}, {B}"
    with pytest.raises(UsageError, match=f"{A}, {B}"):
        spec_effective_policy(spec, "shared", "TAG_POLICY")
    assert spec_effective_policy(spec, B, "TAG_POLICY").target == f"account:{B}"


def test_a_shared_name_without_ids_is_still_refused(tmp_path):
    path = tmp_path / "organization.yaml"
    path.write_text("accounts:\n"
                    f"  - {{name: shared, email: a@example.com, id: '{A}'}}\n"
                    "  - {name: shared, email: b@example.com}\n")
    from aigov.spec import validate_spec

    _spec, found = validate_spec(path)
    assert [(f.code, f.location.get("line")) for f in found] == [
        ("SPEC_DUPLICATE_ACCOUNT", 3)]
    assert "`id`" in found[0].fix


def test_pulumi_program_declares_each_shared_account_once_under_its_id(spec):
    """Under Pulumi's own mocks (``aigov.deploy.graph``; the Pulumi CLI cannot be
    installed here): logical names are unique, both accounts keep the name "shared" as
    their input, and the attachment points at the one the spec means."""
    from aigov.deploy.graph import resource_graph

    nodes = {n.name: n for n in resource_graph(spec).nodes}
    accounts = sorted(n for n in nodes if n.startswith("account:"))
    assert accounts == [f"account:{A}", f"account:{B}", "account:solo"]
    assert {nodes[f"account:{x}"].inputs["name"] for x in (A, B)} == {"shared"}
    assert nodes[f"account:{B}"].inputs["email"] == "shared-b@example.com"
    attach = nodes[f"attach:allow-all->account:{B}"]
    assert attach.inputs["targetId"] == f"${{account:{B}.id}}"


def test_a_policy_test_naming_a_shared_name_exits_2_with_its_line(tmp_path, capsys):
    import shutil

    from aigov.cli import main

    shutil.copytree(FIXTURES / "spec/scp", tmp_path / "scp")
    shutil.copy(FIXTURES / "spec/shared_account_name.yaml", tmp_path / "organization.yaml")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests/cases.yaml").write_text(
        "cases:\n"
        f"  - {{name: by id, target: '{B}', action: s3:GetObject, expect: allow}}\n"
        "  - {name: by name, target: shared, action: s3:GetObject, expect: allow}\n")
    assert main(["test-policies", "--spec", str(tmp_path / "organization.yaml")]) == 2
    captured = capsys.readouterr()
    printed = captured.out + captured.err
    assert "cases.yaml" in printed and "line 3" in printed
    assert f"use the account id: one of {A}, {B}" in printed
