"""Specs at enterprise size, shaped like AWS's recommended OU layout, written to disk.

AWS's "Organizing Your AWS Environment Using Multiple Accounts" whitepaper recommends
foundational OUs (Security, Infrastructure, Sandbox, Suspended, ...) and a Workloads OU
whose business units split into Prod and SDLC (non-production) OUs. ``write_spec`` keeps
the starter spec (its OUs, accounts, policies and parameters, so its policy tests and
properties still hold) and adds the recommended foundational OUs plus
``Workloads/BUnn/{Prod,SDLC}`` units until the OU count is reached; extra accounts are
spread over the units. A few guardrails are attached per business unit, so lint, plan and
attachments grow with the organization as they would in a real one.

    .venv/bin/python tests/benchmarks/scale_spec.py DEST --ous 200 --accounts 1000
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path
from typing import Any

import yaml

from aigov.paths import default_spec

EXTRA_FOUNDATION = ("PolicyStaging", "Exceptions", "Deployments", "Transitional")


def _count(ous: list[dict[str, Any]]) -> int:
    return sum(1 + _count(o.get("children", [])) for o in ous)


def scaled(starter: dict[str, Any], n_ous: int, n_accounts: int) -> dict[str, Any]:
    """The starter spec grown to ``n_ous`` OUs and ``n_accounts`` accounts (at least the
    starter's own)."""
    spec = dict(starter)
    ous = [dict(o) for o in starter["organizational_units"]]
    for name in EXTRA_FOUNDATION:
        if _count(ous) + 1 >= n_ous:
            break
        ous.append({"name": name})
    units: list[str] = []
    if _count(ous) < n_ous:
        bus: list[dict[str, Any]] = []
        workloads = {"name": "Workloads", "children": bus}
        ous.append(workloads)
        while _count(ous) < n_ous:
            bu = {"name": f"BU{len(bus) + 1:03d}", "children": []}
            bus.append(bu)
            for env in ("Prod", "SDLC"):
                if _count(ous) < n_ous:
                    bu["children"].append({"name": env})
                    units.append(f"Workloads/{bu['name']}/{env}")
    spec["organizational_units"] = ous
    accounts = list(starter["accounts"])
    homes = units or ["Sandbox"]
    for k in range(len(accounts), n_accounts):
        home = homes[k % len(homes)]
        name = f"{home.split('/')[1].lower()}-{home.split('/')[-1].lower()}-{k:04d}" \
            if units else f"sandbox-{k:04d}"
        accounts.append({"name": name, "email": f"aws+{name}@example.com", "ou": home})
    spec["accounts"] = accounts
    policies = [dict(p) for p in starter["policies"]]
    prod = [u for u in units if u.endswith("/Prod")]
    if units:
        for p in policies:
            if p["name"] == "region-allow-list":
                p["targets"] = [*p["targets"], "Workloads"]
            if p["name"] in ("bedrock-require-guardrail", "sagemaker-network-isolation",
                             "sagemaker-instance-types-prod"):
                p["targets"] = [*p["targets"], *prod]
            if p["name"] == "sagemaker-instance-types-dev":
                p["targets"] = [*p["targets"], *(u for u in units if u.endswith("/SDLC"))]
    spec["policies"] = policies
    return spec


def write_spec(dest: Path, n_ous: int, n_accounts: int) -> Path:
    """A copy of the starter's ``policies/`` folder under ``dest`` with its
    ``organization.yaml`` replaced by the scaled spec; returns the spec's path."""
    src = default_spec().parent
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(src, dest)
    starter = yaml.safe_load(default_spec().read_text())
    out = dest / default_spec().name
    out.write_text(yaml.safe_dump(scaled(starter, n_ous, n_accounts), sort_keys=False))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("dest", type=Path)
    ap.add_argument("--ous", type=int, default=200)
    ap.add_argument("--accounts", type=int, default=1000)
    a = ap.parse_args()
    print(write_spec(a.dest, a.ous, a.accounts))


if __name__ == "__main__":
    main()
