"""How long the emulator takes to load its saved organization, after one session and
after many (``aigov.target.state``): prints lines kept, seconds to load, file size.

    .venv/bin/python tests/benchmarks/bench_emulator_state.py [--ous 200] [--accounts 1000]
        [--sessions 5]

The organization is built over HTTP with boto3 like a run builds it; each later session
lists every account (reads) and rewrites one tag (a write that changes nothing).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import boto3

from aigov.target.emulator import EMULATOR_CREDENTIALS, Emulator
from aigov.target.state import STATE_FILE


def _org(url: str):
    return boto3.client("organizations", endpoint_url=url, region_name="us-east-1",
                        **EMULATOR_CREDENTIALS)


def build(org, ous: int, accounts: int) -> None:
    org.create_organization(FeatureSet="ALL")
    root = org.list_roots()["Roots"][0]["Id"]
    org.enable_policy_type(RootId=root, PolicyType="SERVICE_CONTROL_POLICY")
    ids = [org.create_organizational_unit(ParentId=root, Name=f"ou{i}",
                                          Tags=[{"Key": "n", "Value": str(i)}])[
        "OrganizationalUnit"]["Id"] for i in range(ous)]
    for i in range(accounts):
        acct = org.create_account(AccountName=f"a{i}", Email=f"a{i}@example.com")[
            "CreateAccountStatus"]["AccountId"]
        org.move_account(AccountId=acct, SourceParentId=root, DestinationParentId=ids[i % ous])


def churn(org) -> None:
    for page in org.get_paginator("list_accounts").paginate():
        for a in page["Accounts"]:
            org.list_parents(ChildId=a["Id"])
    root = org.list_roots()["Roots"][0]["Id"]
    org.tag_resource(ResourceId=root, Tags=[{"Key": "owner", "Value": "platform"}])


def session(state: Path, work=None) -> tuple[float, int]:
    start = time.perf_counter()
    emu = Emulator(state_dir=state)
    took = time.perf_counter() - start
    try:
        if work:
            work(_org(emu.url))
        return took, emu.loaded
    finally:
        emu.stop()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ous", type=int, default=200)
    ap.add_argument("--accounts", type=int, default=1000)
    ap.add_argument("--sessions", type=int, default=5)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        state = Path(d)
        t0 = time.perf_counter()
        session(state, lambda org: build(org, a.ous, a.accounts))
        print(f"built {a.ous} OUs / {a.accounts} accounts over HTTP in "
              f"{time.perf_counter() - t0:.1f} s")
        for n in range(1, a.sessions + 1):
            took, loaded = session(state, churn)
            size = (state / STATE_FILE).stat().st_size
            print(f"session {n}: loaded {loaded} writes in {took:.2f} s "
                  f"(state file {size / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
