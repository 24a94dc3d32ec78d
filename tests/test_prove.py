"""aigov prove: the shipped properties, the batch contract, counterexamples the
simulator confirms, and the encoding bug path (docs/contracts/properties.md)."""

from __future__ import annotations

import io
import json

import orjson
import pytest

from aigov.cli import main
from aigov.policy.batch import BatchSimulator
from aigov.policy.prove import solve
from aigov.policy.prove.batch import run_batch
from aigov.policy.prove.org import run_proofs
from helpers.specs import DENY_LEAVE

ALLOW_ALL = {"Version": "2012-10-17",
             "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
# Weakened: the Deny only applies when a tag is present, so a request without it leaves.
DENY_LEAVE_WEAK = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Deny", "Action": "organizations:LeaveOrganization", "Resource": "*",
     "Condition": {"StringEquals": {"aws:PrincipalTag/team": "dev"}}}]}
LEAVE = {"expect": "always-denied", "action": "organizations:LeaveOrganization",
         "principal": "arn:aws:iam::${account}:role/admin"}


def _batch(lines: list[dict | str]) -> tuple[int, list[dict]]:
    out = io.StringIO()
    text = "\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n"
    code = run_batch(io.StringIO(text), out)
    return code, [orjson.loads(ln) for ln in out.getvalue().splitlines()]


def _simulate(scps: list, request: dict, rcps: list | None = None) -> str:
    line = {"id": "x", "scps": scps, "request": request}
    if rcps is not None:
        line["rcps"] = rcps
    return BatchSimulator().answer(json.dumps(line))["decision"]


def test_shipped_properties_hold_on_the_starter_spec() -> None:
    report = run_proofs()
    assert report.ok, report.render()
    results = {r.prop.name: r for r in report.results}
    seed = results["the seed's allow-list keeps AI/Development to SageMaker, Lambda and S3"]
    assert seed.result == "refuted" and seed.prop.outcome == "refuted"
    assert all(o.decision.decision == "allow" for o in seed.outcomes if o.counterexample)
    assert sum(r.result == "proven" for r in report.results) >= 10


def test_weakened_guardrail_is_refuted_and_simulate_confirms_the_counterexample() -> None:
    code, out = _batch([{"id": "strong", "scps": [[ALLOW_ALL, DENY_LEAVE]], "property": LEAVE},
                        {"id": "weak", "scps": [[ALLOW_ALL, DENY_LEAVE_WEAK]],
                         "property": LEAVE}])
    assert code == 1
    assert [o["result"] for o in out] == ["proven", "refuted"]
    cx = out[1]["counterexample"]
    assert cx["action"] == "organizations:LeaveOrganization"
    assert cx["principal"] == "arn:aws:iam::111122223333:role/admin"
    assert _simulate([[ALLOW_ALL, DENY_LEAVE_WEAK]], cx) == "allow"
    assert _simulate([[ALLOW_ALL, DENY_LEAVE]], cx) == "deny"


def test_never_denied_counterexample_is_denied_by_simulate() -> None:
    region = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Action": "*", "Resource": "*",
         "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["us-east-1"]}}}]}
    prop = {"expect": "never-denied", "action": ["s3:GetObject", "ec2:RunInstances"],
            "context": {"aws:RequestedRegion": {"not_in": ["us-east-1"]}}}
    code, out = _batch([{"id": "r", "scps": [[ALLOW_ALL, region]], "property": prop}])
    assert code == 1 and out[0]["result"] == "refuted"
    cx = out[0]["counterexample"]
    assert cx["context"]["aws:RequestedRegion"] != "us-east-1"
    assert _simulate([[ALLOW_ALL, region]], cx) == "deny"


def test_batch_answers_line_for_line_and_malformed_lines_get_an_error() -> None:
    code, out = _batch([{"id": "a", "scps": [[ALLOW_ALL, DENY_LEAVE]], "property": LEAVE},
                        "not json",
                        {"id": "b", "scps": [[ALLOW_ALL]],
                         "property": {"expect": "sometimes"}},
                        {"id": "c", "scps": [[ALLOW_ALL]],
                         "property": {"expect": "never-denied", "action": "nope:Nothing"}},
                        {"id": "d", "scps": [[ALLOW_ALL]],
                         "property": {"expect": "never-denied", "action": "s3:Get*"}}])
    assert code == 2
    assert [o.get("id") for o in out] == ["a", None, "b", "c", "d"]
    assert out[0]["result"] == "proven" and out[4]["result"] == "proven"
    assert "line 2" in out[1]["error"]
    assert "expect" in out[2]["error"] and "IAM catalogue" in out[3]["error"]


def test_an_scp_level_without_allow_denies_everything_and_rcps_only_restrict_their_services(
        ) -> None:
    code, out = _batch([
        {"id": "empty", "scps": [[]], "property": {
            "expect": "always-denied", "principal": "arn:aws:iam::${account}:role/admin"}},
        {"id": "rcp", "scps": [], "rcps": [[{"Version": "2012-10-17", "Statement": [
            {"Effect": "Deny", "Principal": "*", "Action": ["s3:*", "kms:*"],
             "Resource": "*"}]}]],
         "property": {"expect": "always-denied", "action": ["s3:GetObject", "ec2:RunInstances"]}}])
    assert out[0]["result"] == "proven"
    assert out[1]["result"] == "refuted"
    assert out[1]["counterexample"]["action"] == "ec2:RunInstances"


def test_service_linked_roles_escape_scps_in_a_counterexample() -> None:
    prop = {"expect": "always-denied", "action": "organizations:LeaveOrganization",
            "principal": "arn:aws:iam::${account}:role/*"}
    _, out = _batch([{"id": "slr", "scps": [[ALLOW_ALL, DENY_LEAVE]], "property": prop}])
    assert out[0]["result"] == "refuted"
    assert ":role/aws-service-role/" in out[0]["counterexample"]["principal"]


def test_a_counterexample_the_evaluator_rejects_is_an_encoding_bug(monkeypatch) -> None:
    def wrong(self, g, request):  # the evaluator (stand-in) disagrees with the solver
        from aigov.policy.evaluate import Decision
        return Decision("deny", "explicit-deny")
    monkeypatch.setattr(solve.Prover, "_evaluate", wrong)
    code, out = _batch([{"id": "w", "scps": [[ALLOW_ALL, DENY_LEAVE_WEAK]], "property": LEAVE}])
    assert code == 1
    assert out[0]["result"] == "unknown" and out[0]["reason"].startswith("encoding bug")
    assert "counterexample" not in out[0]


@pytest.mark.slow
def test_cli_prove_exits_0_on_the_starter_spec_and_prints_json(capsys) -> None:
    assert main(["prove", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] and data["counts"]["refuted"] == 1


def test_cli_prove_exits_2_on_a_bad_properties_file(tmp_path, capsys) -> None:
    import shutil

    from aigov.paths import default_spec
    src = default_spec().parent
    shutil.copytree(src, tmp_path / "policies")
    (tmp_path / "policies" / "properties" / "bad.yaml").write_text(
        "- name: x\n  targets: [Root]\n  expect: maybe\n")
    assert main(["prove", "--spec", str(tmp_path / "policies" / "organization.yaml")]) == 2
    err = capsys.readouterr().err
    assert "bad.yaml" in err and "expect" in err


@pytest.mark.parametrize("constraint", ["us-east-1", {"in": ["us-east-1"]}])
def test_plain_string_constraint_is_in(constraint) -> None:
    region = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Action": "*", "Resource": "*",
         "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["us-east-1"]}}}]}
    prop = {"expect": "never-denied", "action": "s3:GetObject",
            "context": {"aws:RequestedRegion": constraint}}
    _, out = _batch([{"id": "r", "scps": [[ALLOW_ALL, region]], "property": prop}])
    assert out[0]["result"] == "proven"


def test_sentinel_proven_never_denied_on_the_starter_spec_and_refuted_when_locked_out() -> None:
    from aigov.policy.prove.sentinels import prove_never_denied
    from aigov.policy.simulate import bundle_of

    model = bundle_of(None).model()
    ok = prove_never_denied(model, "arn:aws:iam::${account}:role/aigov-break-glass",
                            ["iam:AttachRolePolicy", "iam:UpdateAssumeRolePolicy"])
    assert ok.proven, ok.describe()
    # The governance role is not exempt from protect-governance-roles on itself.
    locked = prove_never_denied(model, "arn:aws:iam::${account}:role/aigov-governance",
                                "iam:DeleteRole")
    assert locked.result == "refuted"
    targets, request, why = locked.refuted[0]
    assert request["action"] == "iam:DeleteRole" and "explicit deny" in why.lower()


def test_spec_groups_share_a_proof_and_management_principals_are_exempt(tmp_path) -> None:
    from aigov.policy.prove.org import groups_for
    from aigov.policy.prove.properties import load_properties
    from aigov.policy.simulate import OrgModel
    from aigov.spec import load_spec
    from conftest import ROOT

    model = OrgModel(load_spec(ROOT / "tests/fixtures/simulate/org/organization.yaml"))
    groups = groups_for(model, ["Workloads"])
    # Workloads, Workloads/Dev and dev-1..3: one chain of policies, so one group.
    assert len(groups) == 1 and set(groups[0].targets) == {
        "Workloads", "Workloads/Dev", "dev-1", "dev-2", "dev-3"}
    assert groups[0].accounts == ("111122223333",)
    f = tmp_path / "p.yaml"
    f.write_text('- name: nobody leaves\n  targets: [Root]\n  expect: always-denied\n'
                 '  principal: "arn:aws:iam::????????????:role/admin"\n'
                 '  action: organizations:LeaveOrganization\n')
    from aigov.policy.prove.org import prove_property

    result = prove_property(model, load_properties(f)[0])
    assert result.result == "refuted"  # the management account's principals are exempt
    cx = [o.counterexample for o in result.outcomes if o.counterexample][0]
    assert ":999999999999:" in cx["principal"]


def test_many_account_ids_are_one_proof_and_counterexamples_use_the_targets_own_ids(
        tmp_path) -> None:
    import shutil

    from aigov.policy.prove.org import prove_property
    from aigov.policy.prove.properties import load_properties
    from aigov.policy.simulate import OrgModel
    from aigov.spec import load_spec
    from conftest import ROOT

    org = tmp_path / "org"
    shutil.copytree(ROOT / "tests/fixtures/simulate/org", org)
    spec_file = org / "organization.yaml"
    spec_file.write_text(spec_file.read_text()
                         .replace("ou: Workloads/Dev}", "ou: Workloads/Dev, id: \"2\"}")
                         .replace('id: "2"}', 'id: "222233334444"}', 1)
                         .replace('ou: Workloads/Dev, id: "2"}', 'ou: Workloads/Dev, id: "555566667777"}'))
    model = OrgModel(load_spec(spec_file))
    (org / "p.yaml").write_text(
        '- name: leave\n  targets: [Workloads]\n  expect: always-denied\n'
        '  principal: "arn:aws:iam::${account}:role/admin"\n'
        '  action: organizations:LeaveOrganization\n'
        '- name: ec2\n  targets: [Root]\n  expect: never-denied\n'
        '  principal: "arn:aws:iam::${account}:role/admin"\n  action: ec2:RunInstances\n')
    leave, ec2 = load_properties(org / "p.yaml")
    assert prove_property(model, leave).result == "proven"
    result = prove_property(model, ec2)
    assert result.result == "refuted"
    refuted = [o for o in result.outcomes if o.result == "refuted"]
    assert len(refuted) == 1 and "locked" in refuted[0].group.targets
    cx = refuted[0].counterexample
    # Restricted (an OU: 111122223333) and locked (444455556666) share one proof.
    assert set(refuted[0].group.accounts) == {"111122223333", "444455556666"}
    assert cx["account"] in refuted[0].group.accounts
    assert cx["principal"] == f"arn:aws:iam::{cx['account']}:role/admin"


@pytest.mark.slow
def test_a_weakened_spec_guardrail_fails_aigov_prove_and_simulate_agrees(tmp_path, capsys) -> None:
    """deny-leave-organization weakened to spare one role: `aigov prove` exits 1 with a
    counterexample, and the simulator, asked that request at that target, allows it."""
    import shutil

    from aigov.paths import default_spec
    from aigov.policy.simulate import OrgModel
    from aigov.spec import load_spec

    shutil.copytree(default_spec().parent, tmp_path / "policies")
    scp = tmp_path / "policies" / "scp" / "deny_leave_organization.json.j2"
    scp.write_text(scp.read_text().replace(
        '"Resource": "*"', '"Resource": "*", "Condition": {"ArnNotLike": '
        '{"aws:PrincipalArn": "arn:aws:iam::*:role/OrganizationAccountAccessRole"}}', 1))
    spec = tmp_path / "policies" / "organization.yaml"
    assert main(["prove", "--spec", str(spec), "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    bad = [p for p in data["properties"] if not p["passed"]]
    assert [p["name"] for p in bad] == [
        "the administrator role cannot make an account leave the organization"]
    refuted = [t for t in bad[0]["targets"] if t["result"] == "refuted"]
    model = OrgModel(load_spec(spec))
    for t in refuted:
        cx = t["counterexample"]
        d = model.simulate(t["targets"][0], cx["action"], cx["resource"], cx.get("context"),
                           cx["principal"], cx["account"])
        assert d.decision == "allow"


def test_cli_prove_batch_reads_stdin_and_a_missing_file_is_bad_input(monkeypatch, capsys
                                                                      ) -> None:
    line = json.dumps({"id": "s", "scps": [[ALLOW_ALL, DENY_LEAVE]], "property": LEAVE})
    monkeypatch.setattr("sys.stdin", io.StringIO(line + "\n"))
    assert main(["prove", "--batch", "-"]) == 0
    assert json.loads(capsys.readouterr().out) == {"id": "s", "result": "proven"}
    assert main(["prove", "--batch", "/nonexistent/lines.jsonl"]) == 2
    assert "cannot read" in capsys.readouterr().err
