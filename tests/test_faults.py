"""Faults between aigov and AWS: lost responses and throttling, through a loopback proxy
in front of a real moto server (tests/helpers/faultproxy.py).

AWS facts behind the expectations: CreateOrganizationalUnit, CreatePolicy, CreateAccount
and CreateOrganization take no idempotency token (Organizations API reference), so a
re-sent create after a lost response makes a duplicate; TooManyRequestsException is a
refusal, safe to retry.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import Any

import boto3
import pytest

from aigov.cli import main
from aigov.target.emulator import EMULATOR_CREDENTIALS
from conftest import ROOT
from helpers.faultproxy import FaultProxy

SPEC = ROOT / "policies" / "organization.yaml"


def _org(url: str) -> Any:
    return boto3.client("organizations", endpoint_url=url, region_name="us-east-1",
                        **EMULATOR_CREDENTIALS)


def _pages(client: Any, op: str, key: str, **kw: Any) -> list[dict]:
    return [x for page in client.get_paginator(op).paginate(**kw) for x in page[key]]


def snapshot(url: str) -> dict[str, Any]:
    """The organization by names (ids differ between runs), keeping duplicates visible:
    OUs per parent path as a Counter, accounts and policies as Counters too."""
    org = _org(url)
    root = _pages(org, "list_roots", "Roots")[0]
    names = {root["Id"]: "Root"}
    ous: Counter[str] = Counter()
    accounts: Counter[tuple[str, str, str]] = Counter()
    queue = [(root["Id"], "Root")]
    while queue:
        pid, path = queue.pop()
        for a in _pages(org, "list_accounts_for_parent", "Accounts", ParentId=pid):
            names[a["Id"]] = a["Name"]
            accounts[(a["Name"], a["Email"].lower(), path)] += 1
        for o in _pages(org, "list_organizational_units_for_parent", "OrganizationalUnits",
                        ParentId=pid):
            child = f"{path}/{o['Name']}"
            names[o["Id"]] = child
            ous[child] += 1
            queue.append((o["Id"], child))
    types = [t["Type"] for t in root.get("PolicyTypes", []) if t["Status"] == "ENABLED"]
    policies: Counter[tuple] = Counter()
    for ptype in types:
        for p in _pages(org, "list_policies", "Policies", Filter=ptype):
            content = json.loads(org.describe_policy(PolicyId=p["Id"])["Policy"]["Content"])
            targets = sorted(names.get(t["TargetId"], t["TargetId"]) for t in _pages(
                org, "list_targets_for_policy", "Targets", PolicyId=p["Id"]))
            policies[(ptype, p["Name"], json.dumps(content, sort_keys=True),
                      tuple(targets))] += 1
    return {"types": sorted(types), "ous": ous, "accounts": accounts, "policies": policies}


def _apply(url: str) -> int:
    return main(["apply", "--spec", str(SPEC), "--engine", "direct", "--yes",
                 "--endpoint-url", url])


@pytest.mark.slow
def test_lost_responses_at_30_percent_leave_the_organization_of_a_clean_apply(
        emulator, outputs, capsys):
    assert _apply(emulator.url) == 0
    clean = snapshot(emulator.url)
    emulator.reset()
    creates = ("CreateOrganization", "CreateOrganizationalUnit", "CreatePolicy",
               "CreateAccount")
    proxy = FaultProxy(emulator.url, seed=13, drop_rate=0.3, drop_first=creates)
    try:
        code = _apply(proxy.url)
    finally:
        proxy.stop()
    err = capsys.readouterr().err
    assert code == 0, err
    assert set(creates) <= set(proxy.dropped)
    faulty = snapshot(emulator.url)
    assert max(faulty["ous"].values()) == 1 and max(faulty["accounts"].values()) == 1
    assert faulty == clean
    assert _apply(emulator.url) == 0  # and a re-run finds nothing to fix
    assert snapshot(emulator.url) == clean


def test_duplicate_answers_are_adopted_not_a_stop(emulator):
    """A create planned before its twin appeared (a lost answer of an earlier run, another
    operator) gets DuplicatePolicyException / AlreadyInOrganizationException: the engine
    adopts what exists instead of stopping."""
    from aigov.org import adopt
    from aigov.target.clients import clients

    org = _org(emulator.url)
    org.create_organization(FeatureSet="ALL")
    doc = '{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:*","Resource":"*"}]}'
    made = org.create_policy(Name="no-s3", Type="SERVICE_CONTROL_POLICY", Content=doc,
                             Description="")["Policy"]["PolicySummary"]["Id"]
    c = clients(emulator.url).writable()
    again = adopt.create_once("create policy no-s3", lambda: c.organizations_once.create_policy(
        Name="no-s3", Type="SERVICE_CONTROL_POLICY", Content=doc, Description="")[
        "Policy"]["PolicySummary"]["Id"],
        lambda: adopt.find_policy(c, "SERVICE_CONTROL_POLICY", "no-s3"))
    assert again == made
    org_id = adopt.create_once("create the organization",
                               lambda: c.organizations_once.create_organization(FeatureSet="ALL"),
                               lambda: adopt.find_organization(c))
    assert org_id == org.describe_organization()["Organization"]["Id"]


@pytest.mark.slow
def test_throttling_past_the_budget_exits_1_naming_refusals_and_changes_made(
        emulator, outputs, capsys, monkeypatch, caplog):
    monkeypatch.setenv("AIGOV_THROTTLE_BUDGET", "3")
    proxy = FaultProxy(emulator.url, seed=7, throttle_rate=1.0, throttle_ops=("AttachPolicy",))
    try:
        code = _apply(proxy.url)
    finally:
        proxy.stop()
    err = capsys.readouterr().err
    assert code == 1, err
    assert re.search(r"AWS is throttling: \d+ calls refused in \d+ s; re-run later or lower "
                     r"the rate; changes already made \(\d+\)", err)
    assert "done: create ou AI/Development" in err
    assert "Traceback" not in err and "credentials" not in err
    assert "retrying in" in caplog.text  # progress while it waited


@pytest.mark.slow
def test_throttling_within_the_budget_is_retried_to_a_clean_apply(emulator, outputs, capsys,
                                                                  monkeypatch):
    monkeypatch.setenv("AIGOV_THROTTLE_BUDGET", "600")
    proxy = FaultProxy(emulator.url, seed=5, throttle_rate=0.3)
    try:
        code = _apply(proxy.url)
    finally:
        proxy.stop()
    assert code == 0, capsys.readouterr().err
    assert proxy.throttled
    assert max(snapshot(emulator.url)["ous"].values()) == 1
