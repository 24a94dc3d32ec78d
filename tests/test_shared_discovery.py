"""Discovery shared by the notebooks of one run (lib/aigov/org/shared.py): the first
discovery is stored in the run's working folder and answers the next ones with no
request, until this process sends a write; outside a run, every call discovers."""

from __future__ import annotations

import pytest

from aigov.org.shared import RUN_WORK_ENV, discover_shared, invalidate
from aigov.target import calls
from aigov.target.clients import clients


@pytest.fixture
def org(emulator, tmp_path, monkeypatch):
    monkeypatch.setenv(RUN_WORK_ENV, str(tmp_path))
    c = clients(emulator.url).writable()
    c.organizations.create_organization(FeatureSet="ALL")
    return c


def _root(c) -> str:
    return c.organizations.list_roots()["Roots"][0]["Id"]


def test_a_second_discovery_in_the_run_sends_no_request(org):
    first = discover_shared(org)
    calls.reset()
    again = discover_shared(org)
    assert calls.counts() == {}
    assert again == first


def test_a_write_makes_the_next_discovery_read_the_organization_again(org, tmp_path):
    discover_shared(org, with_policies=False)
    assert list(tmp_path.glob("inventory-*"))
    org.organizations.create_organizational_unit(ParentId=_root(org), Name="Added")
    assert not list(tmp_path.glob("inventory-*"))  # forgotten before the write was sent
    calls.reset()
    inv = discover_shared(org, with_policies=False)
    assert calls.counts().get("organizations.ListRoots") == 1
    assert "Added" in inv.ous


def test_one_discovery_in_a_run_answers_structure_and_full_requests(org):
    """00-02 ask for the structure only, 05 and 06 for everything: in a run the first
    discovery reads everything once, and both kinds of request are answered from it."""
    root = _root(org)
    org.organizations.enable_policy_type(RootId=root, PolicyType="SERVICE_CONTROL_POLICY")
    calls.reset()
    structure = discover_shared(org, with_policies=False)
    assert calls.counts().get("organizations.ListTargetsForPolicy")  # FullAWSAccess's
    calls.reset()
    full = discover_shared(org)
    assert calls.counts() == {}
    assert full == structure and full.policies


def test_outside_a_run_every_discovery_reads_the_organization(org, monkeypatch):
    monkeypatch.delenv(RUN_WORK_ENV)
    discover_shared(org)
    calls.reset()
    discover_shared(org)
    assert calls.counts().get("organizations.ListRoots") == 1
    invalidate()  # no folder: nothing to forget, no error
