"""What a runbook notebook's ``Context`` turns into for the layers below it.

Anything that takes a notebook context lives here, in the runbook layer, so ``deploy``
and ``policy`` never know about notebooks (docs/architecture.md, "Layers").
"""

from __future__ import annotations

import sys
from typing import Any

from aigov.deploy.request import DeployRequest
from aigov.policy.simulate import OrgModel


def show_progress(i: int, n: int, change: Any) -> None:
    """One line per applied change, shown in the notebook as the apply goes."""
    print(f"  [{i + 1}/{n}] {change.describe()}", flush=True)


def request_from_context(ctx: Any) -> DeployRequest:
    """A ``DeployRequest`` from a notebook's ``Context`` (its parameters and spec)."""
    p = ctx.params
    return DeployRequest(ctx.bundle, ctx.session(), target=ctx.session().target.kind,
                         allow_mutations=p.allow_mutations, confirm=p.confirm,
                         approve=p.approve and not p.read_only, allow_delete=p.allow_delete,
                         region=p.region, progress=show_progress)


def discover_management_account(session_factory: Any) -> str | None:
    """The live organization's management account id, or ``None`` when there is no
    organization or the target cannot be reached. Simulation never needs the target; it
    only uses this to mark the management account as exempt, so an unreachable target is
    said (on stderr, with the fix) rather than stopping the notebook."""
    from botocore.exceptions import BotoCoreError, ClientError

    from aigov.errors import AigovError
    from aigov.org.discover import management_account

    try:
        return management_account(session_factory())
    except (AigovError, BotoCoreError, ClientError) as exc:
        print(f"note: the management account was not discovered ({exc}); it is not "
              "exempt in this simulation. Fix: set organization.management_account_id "
              "in the spec, or reach the target.", file=sys.stderr)
        return None


def model_for_run(ctx: Any) -> OrgModel:
    """The notebook's bundle compiled for simulation. The management account comes from
    the spec (``organization.management_account_id``), else from the target's one
    ``DescribeOrganization`` (not a full discovery: 492 calls at 1,000 accounts)."""
    mgmt = ctx.spec.organization.management_account_id
    if mgmt is None and (ctx.endpoint_url or ctx.params.target == "aws"):
        mgmt = discover_management_account(ctx.session)
    return ctx.bundle.model(mgmt)


def import_for_run(ctx: Any) -> Any:  # -> aigov.org.importer.ImportReport
    """Notebook ``00b_import``'s import: into ``import_dir`` when given (replacing an
    earlier import there), else into the run record's ``import/`` folder, so the record
    keeps what was found (docs/import.md)."""
    import tempfile
    from pathlib import Path

    from aigov.org.importer import import_organization

    p = ctx.params
    if p.import_dir:
        out = Path(p.import_dir)
    elif p.run_dir:
        out = Path(p.run_dir) / "import"
    else:
        out = Path(tempfile.mkdtemp(prefix="aigov-import-")) / "import"
    return import_organization(ctx.session(), out, force=bool(p.import_dir))
