"""Explanations name the level, the policy, the statement, and each condition's values."""

from __future__ import annotations

import json

from aigov.policy.ask import ask, context_help, org_defaults
from aigov.policy.evaluate import account_of
from aigov.policy.simulate import OrgModel
from aigov.spec import load_spec
from helpers.cli import Ran, run_main

S3_READ = {"target": "ai-dev", "action": "s3:GetObject", "resource": "arn:aws:s3:::models/m",
           "region": "us-east-1"}


def _model() -> OrgModel:
    return OrgModel(load_spec())


def test_deny_names_condition_and_request_value() -> None:
    answer = ask(_model(), **S3_READ, context={"aws:SecureTransport": "false",
                                               "aws:PrincipalOrgID": "o-1",
                                               "aws:ResourceOrgID": "o-1"})
    assert answer.state == "deny"
    deny = answer.explanation.deny
    assert (deny.kind, deny.policy, deny.sid, deny.level) == (
        "RCP", "data-perimeter", "EnforceSecureTransport", "Root")
    assert deny.description  # the policy's description from the spec
    (cond,) = deny.conditions
    assert (cond.operator, cond.key, cond.request_values, cond.held) == (
        "BoolIfExists", "aws:SecureTransport", ("false",), True)
    assert '"Sid": "EnforceSecureTransport"' in deny.source
    text = answer.text()
    assert "aws:SecureTransport" in text and "'false'" in text


def test_context_help_lists_keys_and_fixing_them_allows() -> None:
    model = _model()
    denied = ask(model, **S3_READ)
    assert denied.state == "deny"
    keys = {h.key: h for h in context_help(model, "ai-dev", "s3:GetObject")}
    assert {"aws:PrincipalOrgID", "aws:SecureTransport"} <= set(keys)
    fixed = {k: h.suggested for k, h in keys.items() if h.suggested is not None}
    assert ask(model, **S3_READ, context=fixed).state == "allow"
    principal = model.request("ai-dev", "s3:GetObject").principal
    assert org_defaults(model, "ai-dev")["aws:PrincipalAccount"] == account_of(principal)


def test_allow_folds_full_access_into_one_line_per_type() -> None:
    answer = ask(_model(), target="ai-dev", action="bedrock:InvokeModel",
                 resource="arn:aws:bedrock:us-east-1::foundation-model/"
                          "anthropic.claude-3-haiku-20240307-v1:0", region="us-east-1")
    assert answer.state == "allow"
    lines = answer.explanation.allows
    assert not any("statement 0" in line for line in lines)
    assert sum("FullAWSAccess at every level" in line for line in lines) <= 2
    assert "account:" not in answer.text()


def test_region_and_requested_region_are_one_value() -> None:
    answer = ask(_model(), **{**S3_READ, "region": "eu-west-1"},
                 context={"aws:RequestedRegion": "us-east-1"})
    assert answer.state == "check"
    assert [p.field for p in answer.problems] == ["region"]


def test_invalid_request_gets_no_decision() -> None:
    answer = ask(_model(), target="ai-dev", action="sagemaker:CreateTrainigJob")
    assert answer.state == "check" and answer.decision is None


def test_wildcard_action_counts_denied_actions_and_deciders() -> None:
    answer = ask(_model(), target="ai-dev", action="organizations:Leave*", region="us-east-1")
    assert answer.state == "deny"
    assert "1 of 1 actions" in answer.wildcard_summary()
    assert "deny-leave-organization" in answer.wildcard_summary()


def _cli(capsys, *args: str) -> Ran:  # noqa: ANN001 - pytest's capsys
    return run_main(capsys, "simulate", *args)


def test_cli_single_request_prints_the_explanation_and_gates_on_expect(capsys) -> None:  # noqa: ANN001
    args = ["--target", "ai-dev", "--action", "s3:GetObject", "--resource",
            "arn:aws:s3:::models/m", "--region", "us-east-1", "-c", "aws:SecureTransport=false"]
    proc = _cli(capsys, *args, "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["decision"] == "deny"
    assert out["explanation"]["deny"]["policy"] == "data-perimeter"
    assert _cli(capsys, *args, "--expect", "deny").returncode == 0
    gate = _cli(capsys, *args, "--expect", "allow")
    assert gate.returncode == 1 and "expected allow, got deny" in gate.stderr


def test_cli_invalid_request_exits_2_with_check_the_request(capsys) -> None:  # noqa: ANN001
    proc = _cli(capsys, "--target", "ai-dev", "--action", "notaservice")
    assert proc.returncode == 2
    assert "CHECK THE REQUEST" in proc.stdout


def test_cli_draft_replaces_a_policy(tmp_path, capsys) -> None:  # noqa: ANN001
    draft = tmp_path / "draft.json"
    draft.write_text(json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Action": "bedrock:*", "Resource": "*"}]}), encoding="utf-8")
    args = ["--target", "ai-dev", "--action", "bedrock:ListFoundationModels",
            "--region", "us-east-1", "--json"]
    assert json.loads(_cli(capsys, *args).stdout)["decision"] == "allow"
    drafted = json.loads(_cli(capsys, *args, "--draft", f"deny-leave-organization={draft}").stdout)
    assert drafted["decision"] == "deny"
    assert drafted["explanation"]["deny"]["policy"] == "deny-leave-organization"


def test_failed_policy_test_is_explained_down_to_the_condition(tmp_path) -> None:
    from aigov.policy.simulate import check_cases, load_cases

    path = tmp_path / "wrong.yaml"
    path.write_text("cases:\n  - name: s3 over http (wrong on purpose)\n    target: ai-dev\n"
                    "    action: s3:GetObject\n    resource: arn:aws:s3:::models/m\n"
                    "    context: {aws:RequestedRegion: us-east-1, aws:SecureTransport: 'false',"
                    " aws:PrincipalOrgID: o-1,"
                    " aws:ResourceOrgID: o-1}\n    expect: allow\n", encoding="utf-8")
    report = check_cases(_model(), load_cases(path))
    text = report.render(verbose=False)
    assert report.failed == 1
    assert "EnforceSecureTransport" in text
    assert "aws:SecureTransport 'false': the request has 'false', matched" in text
