"""The Pulumi program's entry point for plain ``pulumi`` CLI users (``Pulumi.yaml``).

``pulumi up`` in the repository root runs this file. Stack configuration:

    aigov:spec      the spec (default policies/organization.yaml)
    aigov:adopt     true: import what already exists in the organization, changing
                    nothing (run once before the first ordinary ``pulumi up`` on an
                    organization that already exists; see README "Deploy: two engines")

Adoption discovers the live organization with boto3 (the standard credential chain, or
``AWS_ENDPOINT_URL``), as ``aigov plan`` does.
"""

from __future__ import annotations

import pulumi

from aigov.deploy.adopt import adoption
from aigov.deploy.program import build, export_outputs
from aigov.policy.render import render_spec
from aigov.spec import load_spec


def main() -> None:
    config = pulumi.Config("aigov")
    spec = load_spec(config.get("spec") or None)
    rendered = render_spec(spec)
    imports = None
    adopt = config.get_bool("adopt") or False
    if adopt:
        from aigov.org.discover import discover
        from aigov.target.clients import clients

        imports = adoption(spec, rendered, discover(clients()))
    export_outputs(build(spec, rendered, imports=imports, adopt_only=adopt))


main()
