"""The direct engine's policy half against a real moto server: create, update, move,
attach before detach, delete only when allowed, idempotent, and convergent after a
lost endpoint."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from botocore.config import Config

from aigov.errors import ApplyError
from aigov.org.apply import apply_plan
from aigov.org.discover import discover
from aigov.org.plan import Plan, build_plan
from aigov.spec import load_spec
from aigov.spec.model import Spec
from aigov.target.clients import OrgClients, clients
from aigov.target.emulator import Emulator
from helpers import specs
from helpers.specs import DENY_LEAVE, account, policy, spec_data

SCP = "SERVICE_CONTROL_POLICY"
ALLOW_AI = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["sagemaker:*", "bedrock:*", "s3:*"], "Resource": "*"}]}


def write_spec(folder: Path, *, dev_ou: str = "AI/Dev", allow_targets: tuple = ("AI",),
               detach_from: tuple = (), allow_doc: dict | None = None,
               with_deny: bool = True) -> Spec:
    """A small spec on disk: AI/{Dev,Prod} and Sandbox, one account, two SCPs."""
    policies = [policy("allow-ai", "allow.json", allow_targets, description="AI services")]
    if with_deny:
        policies.append(policy("deny-leave", "deny.json", ["Root"]))
    return load_spec(specs.write_spec(folder, spec_data(
        ous=[{"name": "AI", "children": [{"name": "Dev"}, {"name": "Prod"}]},
             {"name": "Sandbox"}],
        accounts=[account("ai-dev", dev_ou)], policies=policies, detach_from=detach_from),
        files={"allow.json": allow_doc or ALLOW_AI, "deny.json": DENY_LEAVE}))


@pytest.fixture
def c(emulator: Emulator) -> OrgClients:
    return clients(emulator.url).writable()


def converge(c: OrgClients, spec: Spec, allow_delete: bool = False, progress: Any = None) -> Plan:
    p = build_plan(spec, discover(c), allow_delete=allow_delete)
    apply_plan(c, p, progress)
    return p


def scps_at(c: OrgClients, target_id: str) -> dict[str, str]:
    """Name -> content of every SCP attached directly at a target."""
    org = c.organizations
    out = {}
    for pol in org.list_policies_for_target(TargetId=target_id, Filter=SCP)["Policies"]:
        out[pol["Name"]] = org.describe_policy(PolicyId=pol["Id"])["Policy"]["Content"]
    return out


def levels_without_allow(c: OrgClients) -> list[str]:
    inv = discover(c)
    if SCP not in inv.enabled_policy_types:
        return []
    ids = [inv.root_id, *(o.id for o in inv.ous.values()), *(a.id for a in inv.accounts.values())]
    bad = []
    for tid in ids:
        docs = [json.loads(text) for text in scps_at(c, tid).values()]
        if not any(s.get("Effect") == "Allow" for d in docs
                   for s in (d["Statement"] if isinstance(d["Statement"], list)
                             else [d["Statement"]])):
            bad.append(inv.key_of(tid) or tid)
    return bad


def actions(p: Plan) -> list[tuple[str, str, str]]:
    return [(ch.action, ch.kind, ch.key) for ch in p.changes]


@pytest.mark.slow
def test_first_apply_creates_policies_and_attachments_and_a_second_plan_is_empty(
        c: OrgClients, tmp_path: Path) -> None:
    spec = write_spec(tmp_path)
    first = converge(c, spec)
    assert ("create", "policy", "allow-ai") in actions(first)
    assert ("attach", "attachment", "allow-ai -> AI") in actions(first)
    inv = discover(c)
    assert set(scps_at(c, inv.ous["AI"].id)) == {"FullAWSAccess", "allow-ai"}
    assert set(scps_at(c, inv.root_id)) == {"FullAWSAccess", "deny-leave"}
    assert build_plan(spec, discover(c)).empty


@pytest.mark.slow
def test_changed_content_is_one_update_and_lands(c: OrgClients, tmp_path: Path) -> None:
    converge(c, write_spec(tmp_path))
    narrower = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["sagemaker:*"], "Resource": "*"}]}
    spec = write_spec(tmp_path, allow_doc=narrower)
    second = converge(c, spec)
    assert actions(second) == [("update", "policy", "allow-ai")]
    assert second.changes[0].detail["fields"] == ["content"]
    inv = discover(c)
    assert json.loads(scps_at(c, inv.ous["AI"].id)["allow-ai"]) == narrower
    assert build_plan(spec, discover(c)).empty


@pytest.mark.slow
def test_moved_account_is_one_move_and_lands_in_its_new_ou(c: OrgClients, tmp_path: Path) -> None:
    converge(c, write_spec(tmp_path))
    spec = write_spec(tmp_path, dev_ou="Sandbox")
    moved = converge(c, spec)
    assert actions(moved) == [("move", "account", "ai-dev")]
    inv = discover(c)
    assert inv.accounts["ai-dev"].parent_id == inv.ous["Sandbox"].id
    assert build_plan(spec, discover(c)).empty


@pytest.mark.slow
def test_fullawsaccess_is_detached_only_after_its_replacement_is_attached(
        c: OrgClients, tmp_path: Path) -> None:
    converge(c, write_spec(tmp_path))
    spec = write_spec(tmp_path, detach_from=("AI",))
    seen: list[list[str]] = []
    p = converge(c, spec, progress=lambda i, n, ch: seen.append(levels_without_allow(c)))
    assert actions(p) == [("detach", "attachment", "FullAWSAccess -> AI")]
    assert set(scps_at(c, discover(c).ous["AI"].id)) == {"allow-ai"}
    assert seen == [[]] and levels_without_allow(c) == []


@pytest.mark.slow
def test_moving_an_allow_list_attaches_the_new_target_before_detaching_the_old(
        c: OrgClients, tmp_path: Path) -> None:
    converge(c, write_spec(tmp_path, detach_from=("AI",)))
    # The allow-list moves from AI to Sandbox, and FullAWSAccess moves with it.
    spec = write_spec(tmp_path, allow_targets=("Sandbox",), detach_from=("Sandbox",))
    steps: list[list[str]] = []
    p = converge(c, spec, progress=lambda i, n, ch: steps.append(levels_without_allow(c)))
    order = actions(p)
    assert order == [("attach", "attachment", "allow-ai -> Sandbox"),
                     ("attach", "attachment", "FullAWSAccess -> AI"),
                     ("detach", "attachment", "allow-ai -> AI"),
                     ("detach", "attachment", "FullAWSAccess -> Sandbox")]
    assert all(s == [] for s in steps) and levels_without_allow(c) == []
    assert build_plan(spec, discover(c)).empty


@pytest.mark.slow
def test_policy_removed_from_the_spec_is_kept_unless_deletion_is_allowed(
        c: OrgClients, tmp_path: Path) -> None:
    converge(c, write_spec(tmp_path))
    spec = write_spec(tmp_path, with_deny=False)
    assert build_plan(spec, discover(c)).empty
    p = converge(c, spec, allow_delete=True)
    assert actions(p) == [("detach", "attachment", "deny-leave -> Root"),
                          ("delete", "policy", "deny-leave")]
    inv = discover(c)
    assert (SCP, "deny-leave") not in inv.policies
    assert (SCP, "FullAWSAccess") in inv.policies
    assert build_plan(spec, discover(c), allow_delete=True).empty


def test_aws_managed_fullawsaccess_is_never_updated_or_deleted(
        c: OrgClients, tmp_path: Path) -> None:
    converge(c, write_spec(tmp_path))
    spec = write_spec(tmp_path, detach_from=("AI",))
    p = build_plan(spec, discover(c), allow_delete=True)
    assert not [ch for ch in p.changes if ch.kind == "policy" and ch.key == "FullAWSAccess"]


@pytest.mark.slow
def test_emulator_stopped_mid_apply_then_a_rerun_converges(tmp_path: Path) -> None:
    """The endpoint goes away after three changes and comes back with its state (the
    emulator's recorded state, as ``aigov emulator --state`` keeps it). The
    organizations client is made with a single attempt so the lost endpoint fails at
    once instead of after botocore's ten retries; everything else is the real client
    against the real server."""
    spec = write_spec(tmp_path, detach_from=("AI",))
    state = tmp_path / "state"
    emu = Emulator(state_dir=state)
    port = emu.port
    try:
        c = clients(emu.url).writable()
        c.__dict__["organizations"] = c.session.client(
            "organizations", endpoint_url=emu.url,
            config=Config(retries={"max_attempts": 1}, connect_timeout=1, read_timeout=5))
        full = build_plan(spec, discover(c))
        assert len(full.changes) > 6

        def stop_after_three(i: int, n: int, ch: Any) -> None:
            if i == 3:
                emu.stop()

        with pytest.raises(ApplyError):
            apply_plan(c, full, stop_after_three)
        emu = Emulator(port, state_dir=state)  # replays what the first run did
        c = clients(emu.url).writable()
        rest = build_plan(spec, discover(c))
        assert 0 < len(rest.changes) < len(full.changes)
        apply_plan(c, rest)
        assert build_plan(spec, discover(c)).empty
        assert levels_without_allow(c) == []
        assert set(scps_at(c, discover(c).ous["AI"].id)) == {"allow-ai"}
    finally:
        emu.stop()
