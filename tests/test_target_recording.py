"""The emulator's recording keeps no credential: headers and presigned query parameters
are dropped, the Region scope survives for replay (real moto server and boto3)."""

from __future__ import annotations

import json

import boto3
import pytest

from aigov.target.emulator import RECORDING, Emulator
from aigov.target.recording import scrub_headers, scrub_url

TOKEN = "FwoGZXIvYXdzERECORDINGTOKEN//////////wEaDsecret+token/abc=="
KEY = "AKIAZ7RECORDING00001"


def test_credential_headers_are_dropped_and_the_scope_kept():
    out = scrub_headers({
        "Authorization": f"AWS4-HMAC-SHA256 Credential={KEY}/20250101/eu-west-1/"
                         "organizations/aws4_request, SignedHeaders=host, Signature=abc",
        "X-Amz-Security-Token": TOKEN, "X-Amz-Target": "AWSOrganizationsV20161128.ListRoots"})
    assert out["X-Amz-Target"].endswith("ListRoots")
    assert "X-Amz-Security-Token" not in out
    assert out["Authorization"].startswith("AWS4-HMAC-SHA256 Credential=testing/20250101/"
                                           "eu-west-1/organizations/aws4_request")
    assert KEY not in json.dumps(out)


def test_presigned_query_credentials_are_dropped():
    url = (f"http://127.0.0.1:1/?Action=GetCallerIdentity&X-Amz-Credential={KEY}%2F2025"
           f"&X-Amz-Security-Token={TOKEN}&X-Amz-Signature=ff")
    assert scrub_url(url) == "http://127.0.0.1:1/?Action=GetCallerIdentity"


@pytest.mark.slow
def test_a_session_token_sent_to_the_emulator_never_reaches_its_recording(tmp_path):
    emu = Emulator(state_dir=tmp_path)
    try:
        org = boto3.client("organizations", endpoint_url=emu.url, region_name="us-east-1",
                           aws_access_key_id=KEY, aws_secret_access_key="s" * 40,
                           aws_session_token=TOKEN)
        org.create_organization(FeatureSet="ALL")
    finally:
        emu.stop()
    text = (tmp_path / RECORDING).read_text()
    assert "CreateOrganization" in text
    assert TOKEN not in text and KEY not in text
    replayed = Emulator(state_dir=tmp_path)  # the scrubbed recording still replays
    try:
        org = boto3.client("organizations", endpoint_url=replayed.url, region_name="us-east-1",
                           aws_access_key_id="testing", aws_secret_access_key="testing")
        assert org.describe_organization()["Organization"]["FeatureSet"] == "ALL"
    finally:
        replayed.stop()
