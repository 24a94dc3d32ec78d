"""AWS requests counted per notebook (lib/aigov/target/calls.py) against a real moto
server: each HTTP request the library's clients send is counted by operation, and a
notebook's recorded results carry the count and the estimated seconds on AWS."""

from __future__ import annotations

import json

from aigov.org.discover import discover
from aigov.runbook.notebook import Context
from aigov.runbook.params import RunParams
from aigov.target import calls
from aigov.target.clients import clients


def test_every_request_of_the_librarys_clients_is_counted_by_operation(emulator):
    calls.reset()
    c = clients(emulator.url).writable()
    c.organizations.create_organization(FeatureSet="ALL")
    c.organizations.describe_organization()
    c.organizations.describe_organization()
    assert calls.counts() == {"organizations.CreateOrganization": 1,
                              "organizations.DescribeOrganization": 2}
    s = calls.summary()
    assert s["api_calls"] == 3
    assert s["api_estimated_aws_seconds"] == round(3 / calls.AWS_REQUESTS_PER_SECOND, 1)


def test_a_discovery_is_counted_and_recorded_in_the_notebooks_results(emulator, tmp_path):
    calls.reset()
    c = clients(emulator.url).writable()
    c.organizations.create_organization(FeatureSet="ALL")
    before = calls.summary()["api_calls"]
    discover(c)
    ctx = Context(notebook="01_organization", params=RunParams(run_dir=str(tmp_path)))
    ctx.record(organization="ok")
    saved = json.loads((tmp_path / "results" / "01_organization.json").read_text())
    assert saved["organization"] == "ok"
    assert saved["api_calls"] > before
    assert saved["api_calls_by_operation"]["organizations.ListRoots"] >= 1
    assert saved["api_estimated_aws_seconds"] > 0


def test_the_management_account_is_learned_from_one_describe_organization(emulator):
    """Notebook 04 needs only the management account id; a full discovery was one call
    per OU and per policy (492 at 1,000 accounts)."""
    from aigov.org.discover import management_account

    c = clients(emulator.url).writable()
    assert management_account(c) is None  # no organization yet
    made = c.organizations.create_organization(FeatureSet="ALL")["Organization"]
    calls.reset()
    assert management_account(c) == made["MasterAccountId"]
    assert calls.counts() == {"organizations.DescribeOrganization": 1}


def test_structure_only_discovery_reads_no_policy_contents_or_targets(emulator):
    """Notebooks 00-02 need the tree, not policies: no DescribePolicy or
    ListTargetsForPolicy per policy."""
    c = clients(emulator.url).writable()
    c.organizations.create_organization(FeatureSet="ALL")
    root = c.organizations.list_roots()["Roots"][0]["Id"]
    c.organizations.enable_policy_type(RootId=root, PolicyType="SERVICE_CONTROL_POLICY")
    doc = '{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:*","Resource":"*"}]}'
    pid = c.organizations.create_policy(Name="no-s3", Type="SERVICE_CONTROL_POLICY",
                                        Content=doc, Description="")["Policy"]["PolicySummary"]["Id"]
    c.organizations.attach_policy(PolicyId=pid, TargetId=root)
    full = discover(c)
    calls.reset()
    inv = discover(c, with_policies=False)
    ops = calls.counts()
    assert full.policies and not inv.policies
    assert "organizations.DescribePolicy" not in ops
    assert "organizations.ListTargetsForPolicy" not in ops
    assert inv.root_id == full.root_id and inv.ous == full.ous
