"""Notebook 00: can this run go ahead? Target, identity, organization, tools, spec.

Each check is a row (check, status, detail); any ``fail`` stops the run before a single
write, so a wrong endpoint or a wrong account is found in seconds, not halfway through.
"""

from __future__ import annotations

import shutil
from typing import Any

from aigov.errors import AigovError, TargetError
from aigov.runbook.notebook import Context


def preflight(ctx: Context) -> list[dict[str, Any]]:
    """Run every preflight check and return the rows."""
    rows: list[dict[str, Any]] = []

    def row(check: str, status: str, detail: str) -> None:
        rows.append({"check": check, "status": status, "detail": detail})

    try:
        spec = ctx.spec
        row("spec", "ok", f"{ctx.spec_path}: {len(spec.ou_paths())} OUs, "
            f"{len(spec.accounts)} accounts, {len(spec.policies)} policies")
    except AigovError as exc:
        row("spec", "fail", exc.render())
    p = ctx.params
    try:
        target = ctx.session().target
        row("target", "ok", f"{p.target}: {target.describe()}")
    except AigovError as exc:
        row("target", "fail", exc.render())
        target = None
    try:
        from aigov.org.discover import tag_scope
        from aigov.org.shared import discover_shared

        if target is None:
            raise TargetError("not contacted: the target check failed")
        try:  # the same tags as 01-06 read, so they share this discovery
            scope = tag_scope(ctx.spec)
        except AigovError:
            scope = ()
        inv = discover_shared(ctx.session(), with_policies=False, tags=scope)
        row("identity", "ok", f"caller account {inv.caller_account_id}")
        if inv.exists:
            is_mgmt = inv.caller_account_id == inv.management_account_id
            row("organization", "ok", f"{inv.organization_id} ({inv.feature_set}), "
                f"{len(inv.ous)} OUs, {len(inv.accounts)} accounts")
            row("management account", "ok" if is_mgmt or p.read_only else
                ("fail" if target.kind == "aws" else "warn"),
                f"{inv.management_account_id}" + ("" if is_mgmt else
                                                  " (the caller is not it: read-only)"))
        else:
            row("organization", "ok", "none yet: 01_organization will create it")
    except AigovError as exc:
        row("identity", "fail", exc.render())
    if target is not None and target.kind == "aws":
        row("mutations", "ok" if p.allow_mutations and p.confirm else "warn",
            "allowed and confirmed" if p.allow_mutations and p.confirm else
            "read-only: set allow_mutations: true and -p confirm=true to apply")
    cli = shutil.which("pulumi")
    row("pulumi CLI", "ok" if cli else "warn",
        cli or "not on PATH: engine auto uses the direct engine")
    return rows


def failures(rows: list[dict[str, Any]]) -> list[str]:
    return [f"{r['check']}: {r['detail']}" for r in rows if r["status"] == "fail"]
