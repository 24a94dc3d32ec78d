"""Accounts are matched by id (issue 11): AWS allows two accounts with one name, and the
spec's ``id`` decides which one it means; an unpinned name that repeats is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from aigov.cli import main
from aigov.errors import SpecError
from aigov.org.apply import apply_plan
from aigov.org.discover import discover
from aigov.org.inventory import AccountInfo, Inventory
from aigov.org.plan import build_plan
from aigov.spec import load_spec
from aigov.target.clients import clients
from helpers import specs
from helpers.specs import DENY_LEAVE, SCP, account, policy, spec_data


def write_spec(folder: Path, dev_id: str | None = None) -> Path:
    dev = account("ai-dev", "AI/Development", **({"id": dev_id} if dev_id else {}))
    return specs.write_spec(folder, spec_data(
        ous=[{"name": "AI", "children": [{"name": "Development"}, {"name": "Production"}]}],
        accounts=[dev], policies=[policy("deny-leave", "deny.json", ["ai-dev"])]),
        files={"deny.json": DENY_LEAVE})


@pytest.fixture
def duplicate(emulator, tmp_path):
    """The spec's organization, plus a second account named ai-dev, left at Root, where
    discovery meets it first (issue 11 had it in AI/Production; any place seen before
    AI/Development makes a match by name pick it)."""
    c = clients(emulator.url).writable()
    apply_plan(c, build_plan(load_spec(write_spec(tmp_path)), discover(c)))
    inv = discover(c)
    dev = inv.accounts["ai-dev"]
    made = c.organizations.create_account(AccountName="ai-dev", Email="aws+prod-dev@example.com")
    other = made["CreateAccountStatus"]["AccountId"]
    return c, dev.id, other, inv.root_id


def _state(c) -> tuple:
    inv = discover(c)
    return (sorted((a.id, a.parent_id) for a in inv.accounts_by_id.values()),
            sorted(inv.attachments()))


@pytest.mark.slow
def test_an_unpinned_repeated_name_is_refused_naming_both_ids(duplicate, emulator, tmp_path,
                                                              capsys) -> None:
    c, dev, other, _ = duplicate
    before = _state(c)
    spec = tmp_path / "unpinned"
    spec.mkdir()
    assert main(["apply", "--spec", str(write_spec(spec)), "--engine", "direct",
                 "--endpoint-url", emulator.url]) == 2
    err = capsys.readouterr().err
    assert dev in err and other in err and "id:" in err
    assert _state(c) == before


@pytest.mark.slow
def test_a_pinned_id_leaves_the_other_account_of_that_name_alone(duplicate, emulator, tmp_path,
                                                                 capsys) -> None:
    """Issue 11: with the spec pinning ai-dev by id, apply moved the other ai-dev into
    AI/Development and attached the SCP to it. Now it changes neither."""
    c, dev, other, where = duplicate
    pinned = tmp_path / "pinned"
    pinned.mkdir()
    path = write_spec(pinned, dev)
    assert build_plan(load_spec(path), discover(c)).empty
    assert main(["apply", "--spec", str(path), "--engine", "direct",
                 "--endpoint-url", emulator.url]) == 0
    inv = discover(c)
    assert inv.accounts_by_id[other].parent_id == where
    deny = inv.policies[(SCP, "deny-leave")]
    assert dev in deny.targets and other not in deny.targets


def test_bind_keys_accounts_by_the_spec_id_whatever_their_names(tmp_path) -> None:
    spec = load_spec(write_spec(tmp_path, "222222222222"))
    inv = Inventory(organization_id="o-1", root_id="r-1", accounts={
        "ai-dev": AccountInfo("111111111111", "ai-dev", "a@example.com", "r-1")},
        shadowed_accounts=(AccountInfo("222222222222", "renamed", "b@example.com", "r-1"),))
    bound = inv.bind(spec)
    assert bound.accounts["ai-dev"].id == "222222222222"
    assert bound.key_of("222222222222") == "account:ai-dev"
    assert bound.key_of("111111111111") is None  # another account that happens to share the name
    assert [a.id for a in bound.shadowed_accounts] == ["111111111111"]


def test_bind_refuses_two_live_accounts_for_one_unpinned_name(tmp_path) -> None:
    spec = load_spec(write_spec(tmp_path))
    inv = Inventory(organization_id="o-1", root_id="r-1", accounts={
        "ai-dev": AccountInfo("111111111111", "ai-dev", "a@example.com", "r-1")},
        shadowed_accounts=(AccountInfo("222222222222", "ai-dev", "b@example.com", "r-1"),))
    with pytest.raises(SpecError) as err:
        inv.bind(spec)
    assert err.value.exit_code == 2 and err.value.location == "accounts[0]"
    assert "111111111111" in err.value.message and "222222222222" in err.value.message
