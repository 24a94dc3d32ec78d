"""The lockout rule decided by the evaluator over sentinel requests (issue 11): every
variant that used to pass lint and the gate is refused, named by level, sentinel request
and deciding statement; lint and gate report the same finding, once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from aigov.cli import main
from aigov.deploy.gate import evaluate_gate
from aigov.deploy.lockout_steps import engine_steps, step_findings
from aigov.org.inventory import Inventory, OUInfo, PolicyInfo
from aigov.org.plan import Change
from aigov.policy.lint import lint_spec
from aigov.policy.lockout import sentinels, state_findings
from aigov.policy.render import render_spec
from aigov.spec import load_spec
from aigov.spec.model import Spec
from helpers import specs
from helpers.specs import account, policy, spec_data

SCP = "SERVICE_CONTROL_POLICY"
ALL = "*"
ROOT_ONLY = ("Root",)


def _doc(*statements: dict) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


# Each variant of issue 11: (where it attaches, what FullAWSAccess leaves, the document).
VARIANTS = {
    "allow NotAction * replacing FullAWSAccess at Root": (
        "Root", ROOT_ONLY, _doc({"Effect": "Allow", "NotAction": ALL, "Resource": ALL})),
    "allow * whose condition never matches": (
        "Root", ROOT_ONLY, _doc({"Effect": "Allow", "Action": ALL, "Resource": ALL, "Condition": {
            "StringEquals": {"aws:RequestedRegion": "no-such-region-1"}}})),
    "allow * on one bucket": (
        "Root", ROOT_ONLY, _doc({"Effect": "Allow", "Action": ALL,
                                 "Resource": "arn:aws:s3:::one-bucket"})),
    "deny * with StringLike aws:PrincipalArn *": (
        "Root", (), _doc({"Effect": "Deny", "Action": ALL, "Resource": ALL, "Condition": {
            "StringLike": {"aws:PrincipalArn": ALL}}})),
    "deny * on arn:*": (
        "Root", (), _doc({"Effect": "Deny", "Action": ALL, "Resource": "arn:*"})),
    "deny * at an OU": (
        "Sandbox", (), _doc({"Effect": "Deny", "Action": ALL, "Resource": ALL})),
    "S3-only allow-list replacing FullAWSAccess at an OU": (
        "Sandbox", ("Sandbox",), _doc({"Effect": "Allow", "Action": "s3:*", "Resource": ALL})),
}


def write_spec(folder: Path, target: str, detach: tuple[str, ...], doc: dict,
               extra: dict | None = None) -> Path:
    return specs.write_spec(folder, spec_data(
        ous=[{"name": "Sandbox"}, {"name": "AI"}], accounts=[account("dev", "AI")],
        policies=[policy("guard", "guard.json", [target])], detach_from=detach,
        **(extra or {})), files={"guard.json": doc})


@pytest.mark.parametrize("variant", VARIANTS)
def test_each_lockout_variant_is_an_error_at_its_level_in_lint_and_gate(tmp_path, variant):
    target, detach, doc = VARIANTS[variant]
    path = write_spec(tmp_path, target, detach, doc)
    lint = [f for f in lint_spec(path) if f.code == "LOCKOUT_SENTINEL_DENIED"]
    assert [f.location["key"] for f in lint] == [target]
    assert lint[0].severity.value == "error" and lint[0].location["line"]
    verdict = evaluate_gate(load_spec(path))
    gate = [f for f in verdict.findings if f.code == "LOCKOUT_SENTINEL_DENIED"]
    assert [f.message for f in gate] == [f.message for f in lint]  # the same finding, once
    assert not verdict.ok and "DEPLOY_LINT_ERRORS" not in verdict.codes()


def test_the_message_names_target_sentinel_request_and_deciding_statement(tmp_path) -> None:
    target, detach, doc = VARIANTS["deny * with StringLike aws:PrincipalArn *"]
    (f,) = state_findings(load_spec(write_spec(tmp_path, target, detach, doc)),
                          render_spec(load_spec(tmp_path / "organization.yaml")))
    assert f.message.startswith("Root: arn:aws:iam::111122223333:role/"
                                "OrganizationAccountAccessRole calling sts:AssumeRole on ")
    assert "explicit deny by SCP guard statement 0 at Root" in f.message
    assert "(5 of 5 sentinel requests denied there)" in f.message


def test_an_implicit_deny_names_the_level_without_an_allow(tmp_path) -> None:
    target, detach, doc = VARIANTS["S3-only allow-list replacing FullAWSAccess at an OU"]
    path = write_spec(tmp_path, target, detach, doc)
    (f,) = state_findings(load_spec(path), render_spec(load_spec(path)))
    assert "implicit deny: no SCP Allow matches at Sandbox (attached: guard)" in f.message


def test_aigov_lint_exits_1_on_a_lockout(tmp_path) -> None:
    target, detach, doc = VARIANTS["deny * on arn:*"]
    assert main(["lint", "--spec", str(write_spec(tmp_path, target, detach, doc))]) == 1


def test_a_break_glass_exemption_keeps_the_sentinels_allowed(tmp_path) -> None:
    doc = _doc({"Effect": "Deny", "Action": ALL, "Resource": ALL, "Condition": {
        "ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/OrganizationAccountAccessRole"}}})
    path = write_spec(tmp_path, "Sandbox", (), doc)
    assert list(state_findings(load_spec(path), render_spec(load_spec(path)))) == []


def test_the_shipped_spec_keeps_every_sentinel_allowed() -> None:
    spec = load_spec(Path(__file__).resolve().parents[1] / "policies" / "organization.yaml")
    assert list(state_findings(spec, render_spec(spec))) == []
    roles = {s.principal for s in sentinels(spec)}
    assert "arn:aws:iam::${account}:role/aigov-break-glass" in roles


def test_spec_sentinels_are_checked_too(tmp_path) -> None:
    """A spec may add its own: here the platform's pipeline role must keep CloudFormation."""
    doc = _doc({"Effect": "Deny", "Action": "cloudformation:*", "Resource": ALL})
    extra = {"lockout": {"sentinels": [
        {"action": "cloudformation:CreateStack",
         "resource": "arn:aws:cloudformation:us-east-1:${account}:stack/x/*",
         "principal": "arn:aws:iam::${account}:role/pipeline"}]}}
    path = write_spec(tmp_path, "AI", (), doc, extra)
    (f,) = state_findings(load_spec(path), render_spec(load_spec(path)))
    assert f.location["key"] == "AI" and "cloudformation:CreateStack" in f.message


def _inventory_with_narrowing_update(folder: Path) -> tuple[Spec, Inventory, list[Change]]:
    """Sandbox holds FullAWSAccess and 'wide' (allow *); the plan narrows 'wide' to S3 and
    attaches 'admin' (IAM, STS, Organizations, Support) beside it, then detaches
    FullAWSAccess. The direct order attaches before it updates; Pulumi may not."""
    wide = json.dumps(_doc({"Effect": "Allow", "Action": ALL, "Resource": ALL}))
    admin = json.dumps(_doc({"Effect": "Allow", "Action": [
        "iam:*", "sts:*", "organizations:*", "support:*"], "Resource": ALL}))
    narrow = json.dumps(_doc({"Effect": "Allow", "Action": "s3:*", "Resource": ALL}))
    inv = Inventory(organization_id="o-1", management_account_id="999999999999",
                    root_id="r-1", enabled_policy_types=frozenset({SCP}),
                    ous={"Sandbox": OUInfo("ou-1-sandbox1", "Sandbox", "r-1", "Sandbox")},
                    policies={(SCP, "FullAWSAccess"): PolicyInfo(
                        "p-FullAWSAccess", "FullAWSAccess", SCP, "", "", True,
                        frozenset({"r-1", "ou-1-sandbox1"})),
                              (SCP, "wide"): PolicyInfo("p-1", "wide", SCP, "", wide, False,
                                                        frozenset({"ou-1-sandbox1"}))},
                    caller_account_id="999999999999")
    detail = {"type": SCP}
    changes = [
        Change("create", "policy", "admin", {**detail, "content": admin}),
        Change("attach", "attachment", "admin -> Sandbox",
               {**detail, "policy": "admin", "target": "Sandbox"}),
        Change("update", "policy", "wide", {**detail, "content": narrow}),
        Change("detach", "attachment", "FullAWSAccess -> Sandbox",
               {**detail, "policy": "FullAWSAccess", "target": "Sandbox"}),
    ]
    (folder / "wide.json").write_text(narrow)
    (folder / "admin.json").write_text(admin)
    data = {"organization": {"enabled_policy_types": [SCP],
                             "full_aws_access": {"detach_from": ["Sandbox"]}},
            "organizational_units": [{"name": "Sandbox"}],
            "policies": [{"name": n, "type": SCP, "file": f"{n}.json", "targets": ["Sandbox"]}
                         for n in ("admin", "wide")]}
    (folder / "organization.yaml").write_text(yaml.safe_dump(data))
    spec = load_spec(folder / "organization.yaml")
    return spec, inv, changes


def test_every_intermediate_state_of_the_engines_order_is_checked(tmp_path) -> None:
    spec, inv, changes = _inventory_with_narrowing_update(tmp_path)
    rendered = render_spec(spec)
    assert list(state_findings(spec, rendered)) == []  # the final state is safe
    assert list(step_findings(spec, rendered, inv, engine_steps("direct", changes))) == []
    # Narrowed and FullAWSAccess gone before admin is attached: locked until step 4.
    (f,) = step_findings(spec, rendered, inv, [changes[0], changes[2], changes[3], changes[1]])
    assert f.code == "LOCKOUT_UNSAFE_STEP" and f.location["key"] == "Sandbox"
    assert f.message.startswith("after step 3 (detach attachment FullAWSAccess -> Sandbox")


def test_pulumi_order_puts_updates_before_attachments_and_fullawsaccess_last(tmp_path) -> None:
    spec, inv, changes = _inventory_with_narrowing_update(tmp_path)
    order = engine_steps("pulumi", changes)
    assert [c.action for c in order] == ["create", "update", "attach", "detach"]
    assert order[-1].detail["policy"] == "FullAWSAccess"
    # The narrowing update before admin's attachment is harmless while FullAWSAccess
    # stays, so Pulumi's worst order is safe here too.
    assert list(step_findings(spec, render_spec(spec), inv, order)) == []


def test_aigov_apply_of_a_lockout_exits_1_and_the_emulator_holds_nothing(tmp_path, emulator,
                                                                         capsys) -> None:
    from aigov.org.discover import discover
    from aigov.target.clients import clients

    target, detach, doc = VARIANTS["allow * whose condition never matches"]
    path = write_spec(tmp_path, target, detach, doc)
    code = main(["apply", "--spec", str(path), "--engine", "direct",
                 "--endpoint-url", emulator.url])
    assert code == 1
    assert "LOCKOUT_SENTINEL_DENIED" in capsys.readouterr().err
    assert not discover(clients(emulator.url)).exists


def _replay_judging_every_level(spec, rendered, inv, steps):
    """The oracle: after every step, judge the whole organization again (what
    ``step_findings`` did before it re-judged only the levels a step can change)."""
    from aigov.deploy.lockout_steps import apply_change, state_from_inventory
    from aigov.findings import finding
    from aigov.policy.lockout import Judge, OrgState

    judge = Judge(sentinels(spec), inv.management_account_id
                  or spec.organization.management_account_id)
    state = state_from_inventory(inv.bind(spec, strict=False))
    skip = set(judge.locks(state)) | set(judge.locks(OrgState.from_spec(spec, rendered)))
    for i, ch in enumerate(steps):
        if not apply_change(state, ch):
            continue
        for level, lock in judge.locks(state).items():
            if level not in skip:
                skip.add(level)
                yield finding("LOCKOUT_UNSAFE_STEP", f"after step {i + 1} ({ch.describe()}) "
                              + lock.message(), key=level)


def test_replaying_only_the_levels_a_step_changes_finds_what_judging_everything_finds(
        tmp_path, emulator) -> None:
    """A thousand account creates must not each re-judge the whole organization (05 at
    1,000 accounts spent most of its time there), and must find the same locks: every
    order of a first apply, FullAWSAccess detached from Sandbox and an allow-all attached
    in its place, gives the same findings, message for message."""
    import random
    import shutil

    from aigov.org.discover import discover
    from aigov.org.plan import build_plan
    from aigov.paths import default_spec
    from aigov.target.clients import clients

    folder = tmp_path / "policies"
    shutil.copytree(default_spec().parent, folder)
    data = yaml.safe_load((folder / "organization.yaml").read_text())
    data["organization"]["full_aws_access"] = {"detach_from": ["Sandbox"]}
    (folder / "scp" / "sandbox-allow.json").write_text(json.dumps(
        _doc({"Effect": "Allow", "Action": "*", "Resource": "*"})))
    data["policies"].append({"name": "sandbox-allow", "type": SCP,
                             "file": "scp/sandbox-allow.json", "targets": ["Sandbox"]})
    (folder / "organization.yaml").write_text(yaml.safe_dump(data))
    spec = load_spec(folder / "organization.yaml")
    rendered = render_spec(spec)
    c = clients(emulator.url).writable()
    c.organizations.create_organization(FeatureSet="ALL")
    inv = discover(c)
    changes = list(build_plan(spec, inv).changes)
    rng = random.Random(11)
    found = 0
    for _ in range(12):
        order = rng.sample(changes, len(changes))
        fast = [(f.code, f.location["key"], f.message)
                for f in step_findings(spec, rendered, inv, order)]
        assert fast == [(f.code, f.location["key"], f.message)
                        for f in _replay_judging_every_level(spec, rendered, inv, order)]
        found += len(fast)
    assert found  # some orders lock a level, so the comparison covers findings too
