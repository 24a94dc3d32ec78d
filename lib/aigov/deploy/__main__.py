"""The Pulumi program's entry point for plain ``pulumi`` CLI users (``Pulumi.yaml``).

``pulumi up`` in the repository root runs this file. Stack configuration:

    aigov:spec      the spec (default policies/organization.yaml)
    aigov:adopt     true: import what already exists in the organization, changing
                    nothing (run once before the first ordinary ``pulumi up`` on an
                    organization that already exists; see README "Deploy: two engines")

The live organization is discovered with boto3 (read calls only; the standard credential
chain, or ``AWS_ENDPOINT_URL``), as ``aigov plan`` does: adoption needs its ids, and
every run needs its enabled policy types, which the program keeps enabled (a type
dropped from the Organization resource would be disabled, detaching all its policies).
"""

from __future__ import annotations

import pulumi

from aigov.deploy.adopt import adoption
from aigov.deploy.program import build, export_outputs
from aigov.org.discover import discover
from aigov.policy.bundle import Bundle
from aigov.target.clients import clients


def main() -> None:
    config = pulumi.Config("aigov")
    bundle = Bundle.load(config.get("spec") or None)
    adopt = config.get_bool("adopt") or False
    inv = discover(clients())
    imports = adoption(bundle.spec, bundle.rendered, inv) if adopt else None
    export_outputs(build(bundle, imports=imports, adopt_only=adopt,
                         live_types=inv.enabled_policy_types))


main()
