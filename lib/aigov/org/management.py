"""What each account ends up with under the management policy types (AI opt-out, tag,
Bedrock, backup): computed from the live attachments, compared with AWS's own answer.

- ``live_effective``: the effective policy of an account from what discovery read (the
  live documents on its path, merged by ``policy.effective``): what the audit shows.
- ``effective_drift``: on the aws target, for every account of the spec, the spec's
  effective policy against ``DescribeEffectivePolicy`` (AWS Organizations API
  reference); a difference is ``DRIFT_EFFECTIVE_POLICY``. The emulator (moto) does not
  implement DescribeEffectivePolicy, so there the check is skipped rather than faked.
- ``ai_settings_rows``: per account, the effective AI opt-out setting of each service,
  the Bedrock guardrail enforced in each Region and the backup plans (notebook 06, the
  tree browser).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from aigov.findings import Finding, finding
from aigov.org.audit import path_ids
from aigov.org.inventory import Inventory
from aigov.policy.effective import EffectivePolicy, effective_policy, spec_effective_policy
from aigov.policy.types import AI_OPT_OUT, BACKUP, BEDROCK, MANAGEMENT_TYPES
from aigov.spec.model import Spec


def live_effective(inv: Inventory, account_id: str, policy_type: str) -> EffectivePolicy:
    """The effective ``policy_type`` policy of an account from the live attachments (the
    order AWS attached them in is not listed; policies of one level merge by name)."""
    levels = []
    for tid in path_ids(inv, account_id):
        docs = []
        for (ptype, name), pol in sorted(inv.policies.items()):
            if ptype == policy_type and tid in pol.targets:
                try:
                    docs.append((name, json.loads(pol.content)))
                except (TypeError, ValueError):
                    continue
        levels.append((inv.key_of(tid) or tid, docs))
    return effective_policy(levels, policy_type, target=inv.key_of(account_id) or account_id)


def _describe_effective(org: Any, account_id: str, policy_type: str) -> dict[str, Any] | None:
    """AWS's effective policy (``{}`` when none applies), or ``None`` when the endpoint
    cannot say (the call is not implemented there)."""
    try:
        got = org.describe_effective_policy(PolicyType=policy_type, TargetId=account_id)
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "EffectivePolicyNotFoundException":
            return {}
        raise
    return json.loads(got["EffectivePolicy"]["PolicyContent"])


def effective_drift(spec: Spec, inv: Inventory, org: Any, *, file: str = "",
                    documents: dict[str, dict[str, Any]] | None = None) -> list[Finding]:
    """Spec vs ``DescribeEffectivePolicy`` for each account of the spec that exists live
    and each management type the spec enables. Call it on the aws target only."""
    found: list[Finding] = []
    types = [t for t in spec.organization.enabled_policy_types
             if t in MANAGEMENT_TYPES and t in inv.enabled_policy_types]
    inv = inv.bind(spec, strict=False)  # accounts keyed by the spec's handles
    for acct in spec.accounts:
        key = spec.account_key(acct)  # by id where accounts share a name
        live = inv.accounts.get(key.removeprefix("account:"))
        if live is None or live.id == inv.management_account_id:
            continue
        for ptype in types:
            want = spec_effective_policy(spec, key, ptype, documents).content
            try:
                got = _describe_effective(org, live.id, ptype)
            except (ClientError, BotoCoreError) as exc:
                found.append(finding("DRIFT_EFFECTIVE_UNREADABLE", f"{ptype} for {acct.name} "
                                     f"({live.id}): {exc}", file=file,
                                     key=key))
                continue
            if got is not None and got != want:
                diffs = _differences(got, want)
                more = f" (and {len(diffs) - 3} more)" if len(diffs) > 3 else ""
                found.append(finding("DRIFT_EFFECTIVE_POLICY", f"{ptype} for {acct.name} "
                                     f"({live.id}): " + "; ".join(diffs[:3]) + more,
                                     file=file, key=key))
    return found


def _leaves(node: Any, path: tuple[str, ...] = ()) -> dict[str, Any]:
    if isinstance(node, dict) and node:
        return {k: v for key, sub in node.items() for k, v in _leaves(sub, (*path, key)).items()}
    return {".".join(path): node}


def _differences(got: dict[str, Any], want: dict[str, Any]) -> list[str]:
    """``path: AWS applies X, the spec gives Y`` for each setting that differs."""
    live, spec = _leaves(got), _leaves(want)
    return [f"{k or '(policy)'}: AWS applies {json.dumps(live.get(k))}, the spec gives "
            f"{json.dumps(spec.get(k))}" for k in sorted(set(live) | set(spec))
            if live.get(k) != spec.get(k)]


def ai_settings(opt_out: dict[str, Any], bedrock: dict[str, Any],
                backup: dict[str, Any] | None = None) -> dict[str, Any]:
    """``{"opt_out": {service: optIn|optOut}, "guardrails": {region: {identifier,
    input_tags}}, "backup_plans": {plan: [regions]}}`` from effective policies' contents
    (backup policy syntax: ``{"plans": {NAME: {"regions": [...], "rules": ...}}}``)."""
    services = opt_out.get("services") if isinstance(opt_out.get("services"), dict) else {}
    out_opt = {svc: body.get("opt_out_policy") for svc, body in sorted(services.items())
               if isinstance(body, dict)}
    inference = (bedrock.get("bedrock") or {}).get("guardrail_inference") or {}
    guards: dict[str, Any] = {}
    for region, configs in sorted(inference.items()) if isinstance(inference, dict) else []:
        for name, cfg in sorted(configs.items()) if isinstance(configs, dict) else []:
            if isinstance(cfg, dict):
                guards[region if name == "config_1" else f"{region} ({name})"] = {
                    "identifier": cfg.get("identifier"), "input_tags": cfg.get("input_tags")}
    plans = (backup or {}).get("plans")
    backups = {name: body.get("regions", []) for name, body in sorted(plans.items())
               if isinstance(body, dict)} if isinstance(plans, dict) else {}
    return {"opt_out": out_opt, "guardrails": guards, "backup_plans": backups}


def ai_settings_rows(accounts: Iterable[tuple[str, dict[str, Any]]]) -> list[dict[str, str]]:
    """One row per account and setting: ``account, setting, where, value``."""
    rows = []
    for account, s in accounts:
        for svc, value in s["opt_out"].items():
            rows.append({"account": account, "setting": "AI opt-out", "where": svc,
                         "value": str(value)})
        for region, g in s["guardrails"].items():
            rows.append({"account": account, "setting": "Bedrock guardrail", "where": region,
                         "value": f"{g['identifier']} (input tags: {g['input_tags']})"})
        for plan, regions in s.get("backup_plans", {}).items():
            rows.append({"account": account, "setting": "Backup plan", "where": plan,
                         "value": "regions: " + (", ".join(map(str, regions)) or "none")})
        if not s["opt_out"] and not s["guardrails"]:
            rows.append({"account": account, "setting": "none", "where": "",
                         "value": "no AI opt-out or Bedrock policy applies"})
    return rows


def live_ai_settings(inv: Inventory, account_id: str) -> dict[str, Any]:
    return ai_settings(*(live_effective(inv, account_id, t).content
                         for t in (AI_OPT_OUT, BEDROCK, BACKUP)))


def spec_ai_settings(spec: Spec, account: str,
                     documents: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    return ai_settings(*(spec_effective_policy(spec, account, t, documents).content
                         for t in (AI_OPT_OUT, BEDROCK, BACKUP)))
