"""The strict emulator answers with AWS's error where moto alone would accept the call."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from collections.abc import Iterator

import boto3
import botocore.session
import pytest
from botocore.exceptions import ClientError

from aigov.target.emulator import Emulator, free_port
from aigov.target.strict import malformed_reason
from helpers.strict_cases import ALLOW, CASES, MOTO_MISSES, RCP, SCP, Case, org, ou, policy

MODEL = botocore.session.get_session().get_service_model("organizations")


def _client(url: str):
    return boto3.client("organizations", endpoint_url=url, region_name="us-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing")


@pytest.fixture
def c(emulator: Emulator):
    return _client(emulator.url)


def _refusal(case: Case, client) -> tuple[str, str | None] | None:
    """``(code, reason)`` of the case's refused call, None when it was accepted."""
    try:
        case.act(client)
    except ClientError as exc:
        assert exc.operation_name == case.operation, f"{case.name}: the set-up failed: {exc}"
        return exc.response["Error"]["Code"], exc.response.get("Reason")
    return None


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_strict_emulator_refuses_with_awss_error(case: Case, c) -> None:
    assert _refusal(case, c) == (case.code, case.reason)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_each_expected_error_is_the_operations_own_in_botocores_model(case: Case) -> None:
    op = MODEL.operation_model(case.operation)
    assert case.code in {e.name for e in op.error_shapes}
    if case.reason is not None:
        reasons = MODEL.shape_for(case.code.replace("Exception", "ExceptionReason")).enum
        assert case.reason in reasons


@pytest.fixture(scope="module")
def plain_moto() -> Iterator[str]:
    """moto's own server, in a process of its own (this process's moto is made strict)."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1",
                             "-p", str(port)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"{url}/moto-api/", timeout=1).close()
                break
            except OSError:
                import time

                time.sleep(0.05)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.mark.slow
def test_plain_moto_misses_exactly_the_listed_rules(plain_moto: str) -> None:
    """Run every case on unmodified moto: the ones it accepts are the emulator's value.
    If a moto upgrade starts refusing one, this fails and MOTO_MISSES is updated."""
    missed = set()
    for case in CASES:
        req = urllib.request.Request(f"{plain_moto}/moto-api/reset", method="POST", data=b"")
        urllib.request.urlopen(req, timeout=30).close()
        try:
            refusal = _refusal(case, _client(plain_moto))
        except ClientError:
            refusal = ("set-up refused", None)
        if refusal != (case.code, case.reason):
            missed.add(case.name)
    assert missed == MOTO_MISSES


def test_five_levels_of_ous_and_a_5120_character_scp_are_accepted(c) -> None:
    parent = org(c, SCP)
    for level in range(1, 6):
        parent = ou(c, parent, f"L{level}")
    doc = ALLOW[:-1] + " " * (5120 - len(ALLOW)) + "}"
    assert len(doc) == 5120
    c.attach_policy(PolicyId=policy(c, "full", content=doc), TargetId=parent)


def test_same_ou_name_under_different_parents_is_accepted(c) -> None:
    root = org(c)
    ou(c, ou(c, root, "AI"), "Sandbox")
    ou(c, root, "Sandbox")


def test_bedrock_and_backup_policies_can_be_enabled_created_attached_and_listed(c) -> None:
    """AWS's PolicyType enum has BEDROCK_POLICY and BACKUP_POLICY; moto refuses the first
    and raises NotImplementedError for the second."""
    target = ou(c, org(c, "BEDROCK_POLICY", "BACKUP_POLICY"), "AI")
    for ptype in ("BEDROCK_POLICY", "BACKUP_POLICY"):
        pid = policy(c, ptype.lower(), ptype, json.dumps({"x": {"@@assign": "y"}}))
        c.attach_policy(PolicyId=pid, TargetId=target)
        listed = c.list_policies_for_target(TargetId=target, Filter=ptype)["Policies"]
        assert [p["Id"] for p in listed] == [pid]
        assert f"/{ptype.lower()}/" in listed[0]["Arn"]


def test_disabling_a_type_detaches_its_policies_as_aws_does(c) -> None:
    root = org(c, SCP, "TAG_POLICY")
    target = ou(c, root, "AI")
    pid = policy(c, "tags", "TAG_POLICY", json.dumps({"tags": {}}))
    c.attach_policy(PolicyId=pid, TargetId=target)
    c.disable_policy_type(RootId=root, PolicyType="TAG_POLICY")
    assert c.list_targets_for_policy(PolicyId=pid)["Targets"] == []


def test_enabling_scps_attaches_full_aws_access_everywhere(c) -> None:
    root = org(c)
    target = ou(c, root, "AI")
    c.enable_policy_type(RootId=root, PolicyType=SCP)
    held = {t["TargetId"] for t in c.list_targets_for_policy(PolicyId="p-FullAWSAccess")[
        "Targets"]}
    assert {root, target} <= held


def test_last_scp_may_go_once_another_scp_is_attached(c) -> None:
    target = ou(c, org(c, SCP, RCP), "AI")
    c.attach_policy(PolicyId=policy(c, "allow"), TargetId=target)
    c.detach_policy(PolicyId="p-FullAWSAccess", TargetId=target)


@pytest.mark.parametrize(("content", "malformed"), [
    ('{"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}', False),
    ("[]", True), ('{"Statement": [{"Effect": "Maybe"}]}', True), ("", True)])
def test_malformed_reason_reads_json_and_statement_effects(content: str, malformed: bool) -> None:
    assert (malformed_reason(SCP, content) is not None) is malformed
