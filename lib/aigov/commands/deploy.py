"""``aigov plan`` and ``aigov apply``: the deploy flow of ``deploy/flow.py``, rendered."""

from __future__ import annotations

import json
import os
import sys
from typing import Any

from aigov.deploy.flow import apply_deploy, gate_deploy, plan_deploy
from aigov.deploy.request import DeployRequest
from aigov.errors import ChecksFailed, UsageError
from aigov.policy.bundle import Bundle


def progress(i: int, n: int, change: Any) -> None:
    """One line per applied change, as the apply goes (a terminal or a notebook)."""
    print(f"  [{i + 1}/{n}] {change.describe()}", flush=True)


def _request(spec: str | None, endpoint_url: str | None, **kwargs: Any) -> DeployRequest:
    """A command-line request over the spec's one bundle (read and rendered once for
    plan, gate and apply); the target is derived from the endpoints (every one
    loopback: emulator; else aws and every AWS rule)."""
    from aigov.target.clients import clients

    c = clients(endpoint_url)
    return DeployRequest(Bundle.load(spec), c, target=c.target.kind,
                         progress=progress, **kwargs)


def plan_command(spec: str | None, engine: str, offline: bool, as_json: bool,
                 endpoint_url: str | None) -> int:
    """``aigov plan``: the direct plan, Pulumi's preview, or (``--offline``) the Pulumi
    program's resource graph from Pulumi's mocks, with import ids when an endpoint is
    given (``--endpoint-url`` or ``AWS_ENDPOINT_URL``) to discover the live org from."""
    if offline:
        if engine == "direct":
            raise UsageError("--offline shows the Pulumi program's graph",
                             fix="use --engine pulumi --offline, or drop --offline")
        return graph_command(spec, as_json, endpoint_url)
    planned = plan_deploy(_request(spec, endpoint_url), engine)
    if as_json:
        print(json.dumps({**planned.summary(), "changes": [
            {"action": c.action, "kind": c.kind, "key": c.key,
             "detail": {k: v for k, v in c.detail.items() if k != "content"}}
            for c in planned.direct_plan.changes],
            "preview": [{"phase": r.phase, "changes": r.changes} for r in planned.preview]},
            indent=2, sort_keys=True))
    else:
        print(planned.render())
    return 0


def graph_command(spec: str | None, as_json: bool, endpoint_url: str | None) -> int:
    """``aigov plan --engine pulumi --offline``: the program's resource graph."""
    from aigov.deploy.adopt import adoption, import_ids
    from aigov.deploy.graph import resource_graph
    from aigov.org.discover import discover
    from aigov.target.clients import clients

    bundle = Bundle.load(spec)
    imports = None
    if endpoint_url or os.environ.get("AWS_ENDPOINT_URL"):
        imports = import_ids(adoption(bundle.spec, bundle.rendered,
                                      discover(clients(endpoint_url))))
    graph = resource_graph(bundle, imports=imports)
    print(graph.to_json() if as_json else graph.render())
    return 0


def apply_command(spec: str | None, engine: str, endpoint_url: str | None, confirm: bool,
                  allow_delete: bool, profile: str | None = None) -> int:
    """``aigov apply``: plan, gate, apply. On the aws target (any endpoint not loopback)
    the profile must say ``allow_mutations: true`` and ``--yes`` confirms the run
    (``aigov.deploy.permission``, docs/safety.md)."""
    allow = False
    if profile:
        from aigov.runbook.run import load_profile

        allow = load_profile(profile).parameters.get("allow_mutations") is True
    req = _request(spec, endpoint_url, confirm=confirm, allow_delete=allow_delete,
                   allow_mutations=allow)
    planned = plan_deploy(req, engine)
    print(planned.render())
    verdict = gate_deploy(req, planned)
    print(verdict.render(), file=sys.stderr if not verdict.ok else sys.stdout)
    if not verdict.ok:
        raise ChecksFailed("the gate refused the apply, nothing was changed: "
                           + "; ".join(verdict.reasons), findings=verdict.findings)
    outcome = apply_deploy(req, planned, verdict)
    print(outcome.render())
    return 0 if outcome.remaining == 0 else 1


def pulumi_env_command(endpoint_url: str | None) -> int:
    """``aigov pulumi-env``: the shell lines that make the plain ``pulumi`` CLI open the
    same stack, backend and passphrase as ``aigov apply --engine pulumi`` (``eval`` them)."""
    import shlex

    from aigov.deploy.engines import stack_account
    from aigov.deploy.pulumi_driver import plain_cli_environment
    from aigov.org.discover import discover
    from aigov.target.clients import clients

    c = clients(endpoint_url)
    target = "emulator" if c.is_emulator else "aws"
    env, config = plain_cli_environment(target, stack_account(discover(c)), c.endpoint_url,
                                        c.region)
    for key, value in env.items():
        print(f"export {key}={shlex.quote(value)}")
    print("# then, once the stack is selected (pulumi stack select --create "
          "\"$AIGOV_PULUMI_STACK\" --secrets-provider \"$AIGOV_PULUMI_SECRETS_PROVIDER\"):")
    for key, value in config.items():
        print(f"#   pulumi config set --path {shlex.quote(key)} {shlex.quote(value)}")
    return 0
