"""``aigov emulator --state``: the organization persists as a snapshot plus the writes
since it (``aigov.target.state``), not as a replay of every request ever served.

Real moto server and boto3 throughout. A client that connects early never sees a
half-built organization, because the port is bound only once the state is loaded.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, EndpointConnectionError

from aigov.errors import TargetError
from aigov.target.emulator import EMULATOR_CREDENTIALS, LEGACY_RECORDING, Emulator, free_port
from aigov.target.state import STATE_FILE

OUS = 40
SCP = "SERVICE_CONTROL_POLICY"
DENY = '{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:*","Resource":"*"}]}'
TOKEN = "FwoGZXIvYXdzESTATEFILETOKEN//////////wEaDsecret+token/abc=="
KEY = "AKIAZ7STATEFILE00001"


def _org(url: str, **creds: str):
    return boto3.client("organizations", endpoint_url=url, region_name="us-east-1",
                        config=Config(retries={"total_max_attempts": 1}, connect_timeout=1),
                        **(creds or EMULATOR_CREDENTIALS))


def _build(org, ous: int = 3, accounts: int = 4) -> None:
    """An organization using every kind of write the state must carry back."""
    org.create_organization(FeatureSet="ALL")
    root = org.list_roots()["Roots"][0]["Id"]
    for ptype in (SCP, "TAG_POLICY", "BEDROCK_POLICY"):
        org.enable_policy_type(RootId=root, PolicyType=ptype)
    org.tag_resource(ResourceId=root, Tags=[{"Key": "owner", "Value": "platform"}])
    deny = org.create_policy(Name="deny-s3", Type=SCP, Description="d", Content=DENY,
                             Tags=[{"Key": "k", "Value": "v"}])["Policy"]["PolicySummary"]["Id"]
    bedrock = org.create_policy(Name="guard", Type="BEDROCK_POLICY", Description="",
                                Content="{}")["Policy"]["PolicySummary"]["Id"]
    parent = root
    for i in range(ous):
        parent = org.create_organizational_unit(
            ParentId=parent, Name=f"ou{i}", Tags=[{"Key": "n", "Value": str(i)}])[
            "OrganizationalUnit"]["Id"]
    org.update_organizational_unit(OrganizationalUnitId=parent, Name="renamed")
    org.attach_policy(PolicyId=deny, TargetId=parent)
    org.detach_policy(PolicyId="p-FullAWSAccess", TargetId=parent)
    org.attach_policy(PolicyId=bedrock, TargetId=root)
    for i in range(accounts):
        acct = org.create_account(AccountName=f"a{i}", Email=f"a{i}@example.com")[
            "CreateAccountStatus"]["AccountId"]
        org.move_account(AccountId=acct, SourceParentId=root, DestinationParentId=parent)
    org.tag_resource(ResourceId=acct, Tags=[{"Key": "cost", "Value": "1"}])
    org.close_account(AccountId=acct)


def _everything(org) -> dict:
    """What any client can read: ids, ARNs, names, timestamps, tags, attachments."""
    def tags(rid: str) -> list:
        return org.list_tags_for_resource(ResourceId=rid)["Tags"]

    root = org.list_roots()["Roots"][0]
    out: dict = {"org": org.describe_organization()["Organization"], "root": root,
                 "root_tags": tags(root["Id"]),
                 "accounts": [a for p in org.get_paginator("list_accounts").paginate()
                              for a in p["Accounts"]],
                 "requests": org.list_create_account_status()["CreateAccountStatuses"],
                 "policies": [], "tree": []}
    for ptype in (SCP, "RESOURCE_CONTROL_POLICY", "TAG_POLICY", "BEDROCK_POLICY"):
        for p in org.list_policies(Filter=ptype)["Policies"]:
            targets = org.list_targets_for_policy(PolicyId=p["Id"])["Targets"]
            out["policies"].append((org.describe_policy(PolicyId=p["Id"])["Policy"],
                                    sorted(t["TargetId"] for t in targets), tags(p["Id"])))
    queue = [root["Id"]]
    while queue:
        parent = queue.pop(0)
        for t in [*org.list_accounts_for_parent(ParentId=parent)["Accounts"],
                  *org.list_organizational_units_for_parent(ParentId=parent)[
                      "OrganizationalUnits"]]:
            attached = org.list_policies_for_target(TargetId=t["Id"], Filter=SCP)["Policies"]
            out["tree"].append((parent, t, tags(t["Id"]), [p["Id"] for p in attached]))
            if t["Id"].startswith("ou-"):
                queue.append(t["Id"])
    return out


def _session(state, work=None):
    emu = Emulator(state_dir=state)
    try:
        org = _org(emu.url)
        if work:
            work(org)
        return emu.loaded, _everything(org)
    finally:
        emu.stop()


@pytest.mark.slow
def test_ids_and_timestamps_come_back_identical_across_restarts(tmp_path):
    _, built = _session(tmp_path, _build)
    loaded, first = _session(tmp_path)
    assert first == built
    assert _session(tmp_path) == (loaded, built)


@pytest.mark.slow
def test_state_after_many_sessions_loads_as_much_as_after_one(tmp_path):
    """Sessions that read and rewrite (a tag set to its own value, a policy updated and
    back) leave the file, and so the load, exactly as after the first session."""
    def churn(org) -> None:
        root = org.list_roots()["Roots"][0]["Id"]
        for _ in range(20):
            org.list_accounts()
        org.tag_resource(ResourceId=root, Tags=[{"Key": "owner", "Value": "platform"}])
        pid = next(p["Id"] for p in org.list_policies(Filter=SCP)["Policies"]
                   if p["Name"] == "deny-s3")
        org.update_policy(PolicyId=pid, Content=DENY.replace("s3", "ec2"))
        org.update_policy(PolicyId=pid, Content=DENY)

    _session(tmp_path, _build)
    after_one = (tmp_path / STATE_FILE).read_text()
    loads = [_session(tmp_path, churn)[0] for _ in range(5)]
    assert (tmp_path / STATE_FILE).read_text() == after_one
    assert loads == [len(after_one.splitlines())] * 5
    assert not [line for line in after_one.splitlines()
                if json.loads(line)["op"].startswith(("List", "Describe", "Get"))]


@pytest.mark.slow
def test_a_killed_session_keeps_every_acknowledged_write(tmp_path):
    """The journal is appended as each write is answered: a copy taken mid-session (a
    process killed before it could compact) loads to the same organization; a last line
    cut short is a write never answered, and is skipped."""
    live, copy = tmp_path / "live", tmp_path / "copy"
    emu = Emulator(state_dir=live)
    try:
        org = _org(emu.url)
        _build(org)
        want = _everything(org)
        shutil.copytree(live, copy)
    finally:
        emu.stop()
    with (copy / STATE_FILE).open("a") as f:
        f.write('{"op":"CreateOrganizationalUnit","account":"1234')
    assert _session(copy)[1] == want
    assert (copy / STATE_FILE).read_text() == (live / STATE_FILE).read_text()  # compacted


@pytest.mark.slow
def test_aws_rules_still_hold_after_a_load(tmp_path):
    _session(tmp_path, _build)

    def refused(org) -> None:
        root = org.list_roots()["Roots"][0]["Id"]
        with pytest.raises(ClientError) as err:
            org.create_organizational_unit(ParentId=root, Name="ou0")
        assert err.value.response["Error"]["Code"] == "DuplicateOrganizationalUnitException"
        with pytest.raises(ClientError) as err:
            org.detach_policy(PolicyId="p-FullAWSAccess", TargetId=root)
        assert err.value.response["Reason"] == "MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED"

    _session(tmp_path, refused)


@pytest.mark.slow
def test_no_credential_reaches_the_state_file(tmp_path):
    emu = Emulator(state_dir=tmp_path)
    try:
        org = _org(emu.url, aws_access_key_id=KEY, aws_secret_access_key="s" * 40,
                   aws_session_token=TOKEN)
        org.create_organization(FeatureSet="ALL")
    finally:
        emu.stop()
    text = (tmp_path / STATE_FILE).read_text()
    assert "CreateOrganization" in text
    assert TOKEN not in text and KEY not in text and "s" * 40 not in text


@pytest.mark.parametrize("line", [
    '{"op":"ListRoots","account":"123456789012","partition":"aws","params":{}}',
    '{"op":"CreateOrganization","account":"123456789012","partition":"aws",'
    '"params":{"FeatureSet":"ALL"},"drawn":{"org":["o-../../etc"]}}',
    '{"op":"CreateOrganization","account":"12","partition":"aws","params":{}}',
    '{"op":"CreateOrganization","account":"123456789012","partition":"aws",'
    '"params":{"FeatureSet":"ALL","Evil":1}}',
    '[1, 2]',
    'not json',
])
def test_a_hostile_state_file_is_refused_naming_its_line(tmp_path, line):
    (tmp_path / STATE_FILE).write_text(line + "\n")
    with pytest.raises(TargetError) as err:
        Emulator(state_dir=tmp_path)
    assert err.value.file == str(tmp_path / STATE_FILE) and err.value.location == "line 1"
    assert err.value.exit_code == 2 and "remove it" in err.value.fix


@pytest.mark.slow
def test_a_state_folder_from_before_snapshots_is_converted_once(tmp_path):
    """A folder holding moto's request recording (the old format) is replayed once,
    then kept as a snapshot; the recording is removed."""
    from moto.moto_api import recorder

    emu = Emulator()
    try:
        recorder._location = str(tmp_path / LEGACY_RECORDING)
        emu._post("seed?a=20241101")
        recorder.start_recording()
        org = _org(emu.url)
        org.create_organization(FeatureSet="ALL")
        root = org.list_roots()["Roots"][0]["Id"]
        ou = org.create_organizational_unit(ParentId=root, Name="AI")["OrganizationalUnit"]
        recorder.stop_recording()
    finally:
        emu.stop()
    _, seen = _session(tmp_path)
    assert [t[1]["Id"] for t in seen["tree"] if t[1]["Id"].startswith("ou-")] == [ou["Id"]]
    assert sorted(p.name for p in tmp_path.iterdir()) == [STATE_FILE]


@pytest.mark.slow
def test_a_client_connecting_during_the_load_sees_the_whole_organization(tmp_path):
    emu = Emulator(state_dir=tmp_path)
    try:
        org = _org(emu.url)
        org.create_organization(FeatureSet="ALL")
        root = org.list_roots()["Roots"][0]["Id"]
        for i in range(OUS):
            org.create_organizational_unit(ParentId=root, Name=f"ou{i}")
    finally:
        emu.stop()
    port = free_port()
    started: list[Emulator] = []
    thread = threading.Thread(target=lambda: started.append(Emulator(port, tmp_path)))
    thread.start()
    seen: list[int] = []
    try:
        while thread.is_alive() or not seen:
            try:
                org = _org(f"http://127.0.0.1:{port}")
                root = org.list_roots()["Roots"][0]["Id"]
                pages = org.get_paginator("list_organizational_units_for_parent").paginate(
                    ParentId=root)
                seen.append(sum(len(p["OrganizationalUnits"]) for p in pages))
                break
            except EndpointConnectionError:
                continue
    finally:
        thread.join(timeout=120)
        for emu in started:
            emu.stop()
    assert seen == [OUS]


def _serve(tmp_path) -> tuple[subprocess.Popen, str]:
    """``aigov emulator`` as a new process; returns it and its URL once it serves."""
    env = {**os.environ, "AIGOV_OUTPUTS": str(tmp_path / "outputs")}
    proc = subprocess.Popen([sys.executable, "-m", "aigov.cli", "emulator", "--port", "0",
                             "--state", str(tmp_path / "state")], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    url = ""
    for line in proc.stdout:  # type: ignore[union-attr]
        url = url or next(iter(re.findall(r"http://127\.0\.0\.1:\d+", line)), "")
        if line.startswith("Ctrl-C stops it"):
            return proc, url
    raise AssertionError(f"the emulator never served: {proc.communicate()[1][-2000:]}")


@pytest.mark.slow
@pytest.mark.parametrize(("sig", "code"), [(signal.SIGTERM, 143), (signal.SIGHUP, 129),
                                           (signal.SIGINT, 130)],
                         ids=["SIGTERM", "SIGHUP", "SIGINT"])
def test_aigov_emulator_exits_128_plus_the_signal_and_stops_serving(tmp_path, sig, code):
    """systemd and Airflow stop a service with SIGTERM and read its exit code: 143 says
    it was stopped, not that it finished (docs/contracts/exit-codes.md)."""
    proc, url = _serve(tmp_path)
    try:
        _org(url).create_organization(FeatureSet="ALL")
        proc.send_signal(sig)
        assert proc.wait(timeout=60) == code
        err = proc.stderr.read()  # type: ignore[union-attr]
        assert "Traceback" not in err and "stopped" in err
        with pytest.raises(EndpointConnectionError):
            _org(url).describe_organization()
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=60)
