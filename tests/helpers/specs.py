"""Synthetic specs, built in one place.

Small specs on disk (``spec_data`` + ``write_spec``): a test says only the OUs, accounts
and policies its behaviour needs; the YAML, the policy files and the policy-test file
are written the same way everywhere. Large specs in memory (``business_units``,
``accounts_over``): business units of teams with accounts spread over the teams, for
the Pulumi graph test and the simulate and prove benchmarks.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from aigov.spec.model import Account, OrganizationalUnit

SCP = "SERVICE_CONTROL_POLICY"


def doc(*statements: dict[str, Any]) -> dict[str, Any]:
    """A policy document of ``statements``."""
    return {"Version": "2012-10-17", "Statement": list(statements)}


DENY_LEAVE = doc({"Effect": "Deny", "Action": "organizations:LeaveOrganization",
                  "Resource": "*"})


def account(name: str, ou: str, **extra: Any) -> dict[str, Any]:
    """An account entry with the ``aws+NAME@example.com`` address the tests use."""
    return {"name": name, "email": f"aws+{name}@example.com", "ou": ou, **extra}


def policy(name: str, file: str, targets: Iterable[str], type: str = SCP,  # noqa: A002
           **extra: Any) -> dict[str, Any]:
    """A policy entry: ``name`` from ``file`` attached at ``targets``."""
    return {"name": name, "type": type, "file": file, **extra, "targets": list(targets)}


def spec_data(*, ous: list[dict[str, Any]] | None = None,
              accounts: list[dict[str, Any]] | None = None,
              policies: list[dict[str, Any]] | None = None,
              detach_from: Iterable[str] | None = None, types: Iterable[str] = (SCP,),
              **extra: Any) -> dict[str, Any]:
    """The mapping of an ``organization.yaml``: the enabled policy types, FullAWSAccess
    detached where ``detach_from`` says (the key is left out when it is None), the OU
    tree, the accounts, the policies, then any other top-level key."""
    organization: dict[str, Any] = {"enabled_policy_types": list(types)}
    if detach_from is not None:
        organization["full_aws_access"] = {"detach_from": list(detach_from)}
    data: dict[str, Any] = {"organization": organization}
    if ous is not None:
        data["organizational_units"] = ous
    if accounts is not None:
        data["accounts"] = accounts
    if policies is not None:
        data["policies"] = policies
    return {**data, **extra}


def write_spec(folder: Path, data: Mapping[str, Any],
               files: Mapping[str, dict[str, Any] | str] | None = None,
               cases: Mapping[str, Any] | None = None) -> Path:
    """Write ``files`` (a document as JSON, text as it is), ``tests/cases.yaml`` when
    ``cases`` is given, and ``organization.yaml`` holding ``data`` into ``folder``;
    return the spec's path."""
    for name, content in (files or {}).items():
        (folder / name).write_text(content if isinstance(content, str) else json.dumps(content))
    if cases is not None:
        (folder / "tests").mkdir(exist_ok=True)
        (folder / "tests" / "cases.yaml").write_text(yaml.safe_dump(dict(cases)))
    path = folder / "organization.yaml"
    path.write_text(yaml.safe_dump(dict(data), sort_keys=False))
    return path


def business_units(top: int, per: int) -> tuple[tuple[OrganizationalUnit, ...], list[str]]:
    """``top`` OUs ``BU00``.. of ``per`` children ``Team0``.. each, and the children's
    paths (``BU00/Team0``, ...)."""
    ous = tuple(OrganizationalUnit(name=f"BU{i:02d}", children=tuple(
        OrganizationalUnit(name=f"Team{j}") for j in range(per))) for i in range(top))
    return ous, [f"BU{i:02d}/Team{j}" for i in range(top) for j in range(per)]


def accounts_over(paths: list[str], n: int, with_ids: bool = False) -> tuple[Account, ...]:
    """``n`` accounts ``acct-0000``.. spread round-robin over the OU ``paths``; with
    ``with_ids``, pinned to ids 100000000000 and up."""
    return tuple(Account(name=f"acct-{k:04d}", email=f"aws+acct-{k:04d}@example.com",
                         ou=paths[k % len(paths)],
                         **({"id": f"{100000000000 + k}"} if with_ids else {}))
                 for k in range(n))
