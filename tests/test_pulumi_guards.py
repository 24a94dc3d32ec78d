"""What the Pulumi engine may never do: replace or delete an account, or detach a
target's last SCP by running FullAWSAccess changes on the wrong side of ``pulumi up``.

The Pulumi CLI cannot be installed here: the preview steps are the Automation API's own
engine event classes (``pulumi.automation.events``), built as the CLI reports them; the
step order is applied for real on the strict emulator.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pulumi.automation import events as ev

from aigov.deploy.lockout_steps import step_findings
from aigov.deploy.pulumi_driver import PulumiRun, refuse_account_damage
from aigov.deploy.pulumi_guards import (
    ACCOUNT_TYPE,
    account_damage,
    full_access_split,
    pulumi_order,
    step_of,
)
from aigov.errors import ApplyError, ChecksFailed
from aigov.org.apply import apply_plan
from aigov.org.discover import discover
from aigov.org.plan import Change, Plan, build_plan
from aigov.policy.render import render_spec
from aigov.spec import load_spec
from aigov.target.clients import clients

URN = "urn:pulumi:aws-111122223333::aigov::aws:organizations/organization:Organization$"


def _event(op: str, name: str, typ: str = ACCOUNT_TYPE, keys=None, diffs=None,
           detailed=None) -> ev.EngineEvent:
    meta = ev.StepEventMetadata(op=ev.OpType(op), urn=f"{URN}{typ}::{name}", type=typ,
                                provider="", keys=keys, diffs=diffs, detailed_diff=detailed)
    return ev.EngineEvent(sequence=1, timestamp=0,
                          resource_pre_event=ev.ResourcePreEvent(metadata=meta))


def test_an_email_change_that_replaces_an_account_is_refused_naming_email() -> None:
    step = step_of(_event("replace", "account:ai-dev", keys=["email"], diffs=["email"]))
    found = account_damage([step])
    assert [f.code for f in found] == ["DEPLOY_ACCOUNT_REPLACE"]
    assert "email" in found[0].message and "account:ai-dev" in found[0].message


def test_the_forcing_property_is_read_from_the_detailed_diff_too() -> None:
    diff = {"name": ev.PropertyDiff(diff_kind=ev.DiffKind.UPDATE_REPLACE, input_diff=True)}
    step = step_of(_event("create-replacement", "account:ai-dev", detailed=diff))
    assert "name" in account_damage([step])[0].message


def test_deleting_an_account_is_refused_whatever_allow_delete_says() -> None:
    """``refuse_account_damage`` runs before the allow_delete check in ``up``."""
    run = PulumiRun("preview", {"delete": 1},
                    steps=[step_of(_event("delete", "account:old-sandbox"))])
    with pytest.raises(ChecksFailed) as err:
        refuse_account_damage(run)
    assert err.value.exit_code == 1
    assert [f.code for f in err.value.findings] == ["DEPLOY_ACCOUNT_DELETE"]


def test_updates_of_accounts_and_replacements_of_other_resources_pass() -> None:
    steps = [step_of(_event("update", "account:ai-dev", diffs=["parentId"])),
             step_of(_event("replace", "policy:x", "aws:organizations/policy:Policy",
                            keys=["type"])),
             step_of(_event("same", "account:ai-prod"))]
    assert account_damage(steps) == []
    assert step_of(ev.EngineEvent(sequence=2, timestamp=0)) is None


# -- FullAWSAccess before and after the update, on the strict emulator ----------------

SPEC_WITH_ALLOW_LIST = """\
organization: {enabled_policy_types: [SERVICE_CONTROL_POLICY],
               full_aws_access: {detach_from: [AI]}}
organizational_units: [{name: AI}]
policies:
  - {name: allow-list, type: SERVICE_CONTROL_POLICY, file: allow.json, targets: [AI]}
"""
SPEC_WITHOUT = """\
organization: {enabled_policy_types: [SERVICE_CONTROL_POLICY]}
organizational_units: [{name: AI}]
policies:
  - {name: allow-list, type: SERVICE_CONTROL_POLICY, file: allow.json, targets: []}
"""
ALLOW = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}'


def _spec(folder: Path, text: str):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "allow.json").write_text(ALLOW)
    (folder / "organization.yaml").write_text(text)
    return load_spec(folder / "organization.yaml")


@pytest.fixture
def allow_list_dropped(emulator, tmp_path):
    """AI holds only an allow-list (FullAWSAccess detached); the new spec drops the
    allow-list from AI and drops AI from detach_from."""
    c = clients(emulator.url).writable()
    before = _spec(tmp_path / "v1", SPEC_WITH_ALLOW_LIST)
    apply_plan(c, build_plan(before, discover(c)))
    after = _spec(tmp_path / "v2", SPEC_WITHOUT)
    inv = discover(c)
    return c, after, inv, build_plan(after, inv)


def test_the_old_pulumi_order_detaches_ais_last_scp_and_aws_refuses(allow_list_dropped) -> None:
    """Everything of Pulumi's update first, FullAWSAccess after it (the order before this
    fix): the gate finds the unsafe step, and the strict emulator refuses it as AWS does."""
    c, spec, inv, direct = allow_list_dropped
    before, _ = full_access_split(direct)
    assert [ch.key for ch in before.changes] == ["FullAWSAccess -> AI"]
    old = Plan(tuple(ch for ch in direct.changes if ch not in before.changes)
               + before.changes)
    assert [f.code for f in step_findings(spec, render_spec(spec), inv, old.changes)] == [
        "LOCKOUT_UNSAFE_STEP"]
    with pytest.raises(ApplyError) as err:
        apply_plan(c, old, inventory=inv)
    assert err.value.__cause__.response["Reason"] == "MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED"


def test_the_pulumi_engines_order_reattaches_full_aws_access_first(allow_list_dropped) -> None:
    c, spec, inv, direct = allow_list_dropped
    order = pulumi_order(direct)
    assert order.changes[0].key == "FullAWSAccess -> AI"
    assert list(step_findings(spec, render_spec(spec), inv, order.changes)) == []
    apply_plan(c, order, inventory=inv)
    assert build_plan(spec, discover(c)).empty


def test_pulumi_order_puts_full_aws_access_detachments_last() -> None:
    def att(action: str, policy: str, target: str) -> Change:
        return Change(action, "attachment", f"{policy} -> {target}",
                      {"policy": policy, "type": "SERVICE_CONTROL_POLICY", "target": target})

    direct = Plan((Change("create", "ou", "AI", {"parent": "Root"}),
                   Change("create", "policy", "allow", {"type": "SERVICE_CONTROL_POLICY"}),
                   att("attach", "allow", "AI"), att("attach", "FullAWSAccess", "Sandbox"),
                   att("detach", "old", "Sandbox"), att("detach", "FullAWSAccess", "AI"),
                   Change("delete", "policy", "old", {"type": "SERVICE_CONTROL_POLICY"})))
    assert [(c.action, c.key) for c in pulumi_order(direct).changes] == [
        ("attach", "FullAWSAccess -> Sandbox"), ("create", "AI"), ("create", "allow"),
        ("attach", "allow -> AI"), ("detach", "old -> Sandbox"), ("delete", "old"),
        ("detach", "FullAWSAccess -> AI")]


def test_the_direct_order_is_accepted_and_its_reverse_is_refused_as_aws_would(
        emulator, tmp_path) -> None:
    """The direct plan attaches the allow-list before FullAWSAccess leaves AI; the same
    changes with the detachment first fail at the strict emulator (and at the gate)."""
    from aigov.org.plan import plan_structure

    c = clients(emulator.url).writable()
    spec = _spec(tmp_path / "v1", SPEC_WITH_ALLOW_LIST)
    apply_plan(c, Plan(tuple(plan_structure(spec, discover(c)))))
    inv = discover(c)
    direct = build_plan(spec, inv)
    detach_first = Plan(tuple(sorted(direct.changes, key=lambda ch: ch.action != "detach")))
    assert [f.code for f in step_findings(spec, render_spec(spec), inv,
                                             detach_first.changes)] == ["LOCKOUT_UNSAFE_STEP"]
    with pytest.raises(ApplyError) as err:
        apply_plan(c, detach_first, inventory=inv)
    assert err.value.__cause__.response["Reason"] == "MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED"
    apply_plan(c, build_plan(spec, discover(c)))
    assert build_plan(spec, discover(c)).empty
