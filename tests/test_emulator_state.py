"""``aigov emulator --state``: a client that connects early never sees a half-built
organization, because the port is bound only once the replay of the recording is done."""

from __future__ import annotations

import threading

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import EndpointConnectionError

from aigov.target.emulator import EMULATOR_CREDENTIALS, Emulator, free_port

OUS = 40


def _org(url: str):
    return boto3.client("organizations", endpoint_url=url, region_name="us-east-1",
                        config=Config(retries={"total_max_attempts": 1}, connect_timeout=1),
                        **EMULATOR_CREDENTIALS)


@pytest.mark.slow
def test_a_client_connecting_during_the_replay_sees_the_whole_organization(tmp_path):
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
