"""The gate before any apply: every refusal, each with its code, and the safe case."""

from __future__ import annotations

from pathlib import Path

import pytest

from aigov.deploy.gate import evaluate_gate
from aigov.errors import ChecksFailed
from aigov.org.apply import apply_plan
from aigov.org.discover import discover
from aigov.org.inventory import Inventory
from aigov.org.plan import Plan, build_plan
from aigov.spec import load_spec
from aigov.spec.model import Spec
from aigov.target.clients import OrgClients, clients
from aigov.target.emulator import Emulator
from helpers import specs
from helpers.specs import DENY_LEAVE, account, policy, spec_data

SCP = "SERVICE_CONTROL_POLICY"
ALLOW = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["sagemaker:*", "s3:*"], "Resource": "*"}]}
DENY_ALL = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Deny", "Action": "*", "Resource": "*"}]}
CASES = {"cases": [
    {"name": "leaving is denied", "target": "dev", "action": "organizations:LeaveOrganization",
     "resource": "*", "context": {"aws:RequestedRegion": "us-east-1"}, "expect": "deny"},
    {"name": "sagemaker is allowed", "target": "dev", "action": "sagemaker:CreateTrainingJob",
     "resource": "*", "context": {"aws:RequestedRegion": "us-east-1"}, "expect": "allow"}]}


def write_spec(folder: Path, *, extra: list[dict] | None = None, detach_from: tuple = (),
               docs: dict[str, dict] | None = None, cases: dict | None = None) -> Spec:
    """AI (allow-list) and Sandbox OUs, one account in AI, deny-leave at Root, and a
    policy test file; ``extra`` adds policies, ``docs`` adds or replaces documents."""
    return load_spec(specs.write_spec(folder, spec_data(
        ous=[{"name": "AI"}, {"name": "Sandbox"}], accounts=[account("dev", "AI")],
        policies=[policy("allow-ai", "allow.json", ["AI"]),
                  policy("deny-leave", "deny-leave.json", ["Root"]), *(extra or [])],
        detach_from=detach_from),
        files={"allow.json": ALLOW, "deny-leave.json": DENY_LEAVE, **(docs or {})},
        cases=cases or CASES))


def test_a_safe_spec_passes_every_check(tmp_path: Path) -> None:
    verdict = evaluate_gate(write_spec(tmp_path))
    assert verdict.ok, verdict.render()
    assert all(c.passed for c in verdict.checks)
    verdict.raise_if_refused()


def test_lint_errors_refuse(tmp_path: Path) -> None:
    bad = {**ALLOW, "Version": "2012-10-18"}
    verdict = evaluate_gate(write_spec(tmp_path, docs={"allow.json": bad}))
    assert not verdict.ok
    assert "DEPLOY_LINT_ERRORS" in verdict.codes()


def test_a_failing_policy_test_refuses(tmp_path: Path) -> None:
    cases = {"cases": [{**CASES["cases"][1], "expect": "deny"}]}
    verdict = evaluate_gate(write_spec(tmp_path, cases=cases))
    assert "DEPLOY_POLICY_TESTS_FAILED" in verdict.codes()
    with pytest.raises(ChecksFailed) as err:
        verdict.raise_if_refused()
    assert err.value.exit_code == 1


def test_a_level_left_without_an_allow_refuses(tmp_path: Path) -> None:
    verdict = evaluate_gate(write_spec(tmp_path, detach_from=("Sandbox",)))
    locks = [f for f in verdict.findings if f.code == "LOCKOUT_SENTINEL_DENIED"]
    assert [f.location.get("key") for f in locks] == ["Sandbox"]
    assert "DEPLOY_LINT_ERRORS" not in verdict.codes()  # one finding, not two


def test_a_deny_on_everything_at_root_refuses(tmp_path: Path) -> None:
    spec = write_spec(tmp_path, docs={"deny-all.json": DENY_ALL}, extra=[
        {"name": "deny-all", "type": SCP, "file": "deny-all.json", "targets": ["Root"]}])
    locks = [f for f in evaluate_gate(spec).findings if f.code == "LOCKOUT_SENTINEL_DENIED"]
    assert [f.location.get("key") for f in locks] == ["Root"]


def test_fullawsaccess_detached_from_root_without_replacement_refuses(tmp_path: Path) -> None:
    verdict = evaluate_gate(write_spec(tmp_path, detach_from=("Root",)))
    assert "LOCKOUT_SENTINEL_DENIED" in verdict.codes()


def test_fullawsaccess_detached_from_root_with_an_allow_list_there_passes_that_check(
        tmp_path: Path) -> None:
    broad = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["sagemaker:*", "s3:*", "organizations:*", "iam:*",
                                       "sts:*", "support:*"], "Resource": "*"}]}
    spec = write_spec(tmp_path, detach_from=("Root",), docs={"root-allow.json": broad},
                      extra=[{"name": "root-allow", "type": SCP, "file": "root-allow.json",
                              "targets": ["Root"]}])
    assert "LOCKOUT_SENTINEL_DENIED" not in evaluate_gate(spec).codes()


@pytest.fixture(scope="module")
def live(moto_server: Emulator) -> OrgClients:
    moto_server.reset()
    return clients(moto_server.url).writable()


def test_a_plan_detaching_fullawsaccess_before_its_replacement_refuses(
        live: OrgClients, tmp_path: Path) -> None:
    base = tmp_path / "base"
    base.mkdir()
    apply_plan(live, build_plan(write_spec(base, extra=[]), discover(live)))
    # Move the allow-list to Sandbox and take FullAWSAccess away from Sandbox.
    moved = tmp_path / "moved"
    moved.mkdir()
    # An allow-list that keeps administration (the lockout sentinels) allowed.
    admin = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": [
        "sagemaker:*", "s3:*", "iam:*", "sts:*", "organizations:*", "support:*"],
        "Resource": "*"}]}
    spec = write_spec(moved, detach_from=("Sandbox",), docs={"allow.json": admin})
    spec = spec.model_copy(update={"policies": tuple(
        p.model_copy(update={"targets": ("Sandbox", "AI")}) if p.name == "allow-ai" else p
        for p in spec.policies)})
    inv = discover(live)
    good = build_plan(spec, inv)
    reversed_plan = Plan(tuple(reversed(good.changes)))
    assert "LOCKOUT_UNSAFE_STEP" not in evaluate_gate(spec, direct_plan=good, inventory=inv).codes()
    verdict = evaluate_gate(spec, direct_plan=reversed_plan, inventory=inv)
    assert "LOCKOUT_UNSAFE_STEP" in verdict.codes()


def _aws_inventory(caller: str = "111122223333", management: str = "111122223333") -> Inventory:
    return Inventory(organization_id="o-exampleorgid", feature_set="ALL",
                     management_account_id=management, root_id="r-abcd",
                     enabled_policy_types=frozenset({SCP}), caller_account_id=caller)


@pytest.mark.parametrize(("allow", "confirm", "caller", "code"), [
    (False, True, "111122223333", "DEPLOY_MUTATIONS_NOT_ALLOWED"),
    (True, False, "111122223333", "DEPLOY_NOT_CONFIRMED"),
    (True, True, "444455556666", "DEPLOY_NOT_MANAGEMENT_ACCOUNT"),
])
def test_aws_target_refuses_unless_allowed_confirmed_and_management(
        tmp_path: Path, allow: bool, confirm: bool, caller: str, code: str) -> None:
    verdict = evaluate_gate(write_spec(tmp_path), inventory=_aws_inventory(caller),
                            target="aws", allow_mutations=allow, confirm=confirm)
    assert not verdict.ok
    assert {f.code for f in verdict.findings if f.code.startswith("DEPLOY_")} == {code}


def test_aws_target_allows_when_all_three_hold(tmp_path: Path) -> None:
    verdict = evaluate_gate(write_spec(tmp_path), inventory=_aws_inventory(), target="aws",
                            allow_mutations=True, confirm=True)
    assert verdict.ok, verdict.render()


def test_an_empty_plan_needs_no_permission_to_mutate(tmp_path: Path) -> None:
    verdict = evaluate_gate(write_spec(tmp_path), direct_plan=Plan(), inventory=_aws_inventory(),
                            target="aws", allow_mutations=False, confirm=False)
    assert verdict.ok


def test_a_run_that_only_shows_the_plan_needs_no_permission_to_mutate(tmp_path: Path) -> None:
    verdict = evaluate_gate(write_spec(tmp_path), inventory=_aws_inventory("444455556666"),
                            target="aws", allow_mutations=False, confirm=False,
                            applying=False)
    assert verdict.ok
