"""Account creation with the concurrency AWS allows, against a real moto server behind a
loopback proxy (tests/faultproxy.py) that makes it behave like AWS: each CreateAccount
takes a while, answers IN_PROGRESS (the account is made in the background) and, when
too many are in progress, ConstraintViolationException ACCOUNT_CREATION_RATE_LIMIT_EXCEEDED.
"""

from __future__ import annotations

from collections import Counter

import pytest

from aigov.org.apply import ACCOUNT_CREATES_IN_FLIGHT, apply_plan
from aigov.org.discover import discover
from aigov.org.plan import build_plan
from aigov.spec import load_spec
from aigov.target import calls
from aigov.target.clients import clients
from helpers.faultproxy import FaultProxy

ACCOUNTS = 12


@pytest.fixture
def spec(tmp_path):
    path = tmp_path / "organization.yaml"
    path.write_text(
        "organization: {feature_set: ALL, enabled_policy_types: [SERVICE_CONTROL_POLICY]}\n"
        "organizational_units: [{name: Work}]\naccounts:\n" + "".join(
            f"  - {{name: acct-{i:02d}, email: acct-{i:02d}@example.com, ou: Work"
            + (f", tags: {{n: '{i}'}}" if i % 3 == 0 else "") + "}\n"
            for i in range(ACCOUNTS)))
    return load_spec(path)


def _names(url: str) -> Counter:
    org = clients(url).organizations
    return Counter(a["Name"] for p in org.get_paginator("list_accounts").paginate()
                   for a in p["Accounts"])


@pytest.mark.slow
def test_accounts_are_created_five_at_a_time_and_each_polled_until_done(emulator, spec):
    proxy = FaultProxy(emulator.url, hold=0.2, hold_ops=("CreateAccount",),
                       pending_ops=("CreateAccount",))
    try:
        c = clients(proxy.url).writable()
        calls.reset()
        result = apply_plan(c, build_plan(spec, discover(c)))
        ops = calls.counts()
    finally:
        proxy.stop()
    assert proxy.creating_peak == ACCOUNT_CREATES_IN_FLIGHT  # never more, and not one
    assert ops["organizations.CreateAccount"] == ACCOUNTS
    assert ops["organizations.DescribeCreateAccountStatus"] >= ACCOUNTS
    assert ops["organizations.ListCreateAccountStatus"] == 1  # asked once per apply
    names = _names(emulator.url)
    assert max(names.values()) == 1 and len(names) == ACCOUNTS + 1  # and the management
    assert [ch.key for ch in result.applied if ch.kind == "account"] == [
        f"acct-{i:02d}" for i in range(ACCOUNTS)]
    inv = discover(clients(emulator.url))
    assert {inv.path_of_parent(a.parent_id) for n, a in inv.accounts.items()
            if n.startswith("acct-")} == {"Work"}
    assert build_plan(spec, inv).empty  # moved and tagged too


@pytest.mark.slow
def test_lost_create_account_answers_in_a_concurrent_batch_duplicate_nothing(emulator, spec):
    """Every CreateAccount answer lost at a 50% draw (moto made the account): each is
    found by email and adopted, and a re-run has nothing left to do."""
    proxy = FaultProxy(emulator.url, seed=5, drop_rate=0.5, hold=0.1,
                       hold_ops=("CreateAccount",), drop_first=("CreateAccount",))
    try:
        c = clients(proxy.url).writable()
        apply_plan(c, build_plan(spec, discover(c)))
    finally:
        proxy.stop()
    assert "CreateAccount" in proxy.dropped and proxy.peak["CreateAccount"] > 1
    names = _names(emulator.url)
    assert max(names.values()) == 1 and len(names) == ACCOUNTS + 1
    c = clients(emulator.url).writable()
    assert build_plan(spec, discover(c)).empty


@pytest.mark.slow
def test_too_many_in_progress_is_waited_out_and_sent_again(emulator, spec):
    """ACCOUNT_CREATION_RATE_LIMIT_EXCEEDED (another apply or the console has requests in
    progress) is not a failure: the request waits and is sent again."""
    proxy = FaultProxy(emulator.url, busy_first=3)
    try:
        c = clients(proxy.url).writable()
        calls.reset()
        apply_plan(c, build_plan(spec, discover(c)))
    finally:
        proxy.stop()
    assert proxy.busy == ["CreateAccount"] * 3
    assert calls.counts()["organizations.CreateAccount"] == ACCOUNTS + 3
    names = _names(emulator.url)
    assert max(names.values()) == 1 and len(names) == ACCOUNTS + 1
