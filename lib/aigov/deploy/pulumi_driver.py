"""Drive the Pulumi program through the Automation API: preview, then up when approved.

- Backend: a local file backend under ``outputs/pulumi/`` unless the user sets
  ``PULUMI_BACKEND_URL`` (Pulumi Cloud, S3, ...).
- Secrets: the passphrase provider. The passphrase comes from ``PULUMI_CONFIG_PASSPHRASE``
  (or ``..._FILE``) when set; otherwise one is generated once into
  ``outputs/pulumi/passphrase`` (mode 0600, git-ignored) and handed to Pulumi by file, so
  it never appears in an environment dump, a notebook or a run record.
- One stack per target (``emulator``, ``aws``). On the emulator, ``aws:endpoints`` points
  organizations, sts and iam at it, with the credential, account-id and metadata checks
  skipped (moto answers none of them like AWS).
- Adoption: resources discovery finds and the stack does not manage yet are imported
  first by an update that declares every live resource with its live inputs (Pulumi
  refuses an import whose inputs differ) and targets only the imports (``--target``),
  so nothing changes in AWS or in the rest of the stack; then the full program.
- Errors from the CLI (a locked stack included) are raised as ``ApplyError`` carrying
  Pulumi's own message. Without the CLI on PATH: one line saying so and how to install
  it. Nothing here ever makes up a result.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from aigov.deploy.adopt import adoption
from aigov.deploy.program import Adopted, urn
from aigov.deploy.program import program as make_program
from aigov.deploy.pulumi_guards import Step, account_damage, step_of
from aigov.errors import ApplyError, ChecksFailed, UsageError
from aigov.findings import finding
from aigov.org.inventory import Inventory
from aigov.paths import outputs_dir
from aigov.policy.bundle import Bundle
from aigov.policy.render import RenderedPolicy
from aigov.spec.model import Spec
from aigov.target.emulator import EMULATOR_ENV

PROJECT = "aigov"
EMULATED_SERVICES = ("organizations", "sts", "iam")
INSTALL_HINT = ("install it with `conda env create -f environment.yml` (brings pulumi-core) "
                "or from https://www.pulumi.com/docs/iac/download-install/, or use --engine direct")
Output = Callable[[str], Any]


def pulumi_cli() -> str:
    """The ``pulumi`` executable on PATH, or ``UsageError`` (exit 2) in one line."""
    found = shutil.which("pulumi")
    if not found:
        raise UsageError(f"the pulumi CLI is not on PATH: {INSTALL_HINT}")
    return found


def pulumi_dir() -> Path:
    return outputs_dir() / "pulumi"


def backend_url() -> str:
    return os.environ.get("PULUMI_BACKEND_URL") or (pulumi_dir() / "state").as_uri()


def stack_name(target: str, account_id: str | None) -> str:
    """``<target>-<management account id>``: one stack per organization, so a second
    organization (another management account) never opens the first one's state.

    >>> stack_name("aws", "111122223333")
    'aws-111122223333'
    """
    if target not in ("emulator", "aws"):
        raise UsageError(f"unknown target {target!r}", fix="use emulator or aws")
    if not account_id or not account_id.isdigit() or len(account_id) != 12:
        raise UsageError(f"the Pulumi stack is named for the management account, and the "
                         f"account id {account_id!r} is not 12 digits",
                         fix="check the credentials (aws sts get-caller-identity)")
    return f"{target}-{account_id}"


def stack_config(target: str, endpoint_url: str | None, region: str) -> dict[str, str]:
    """The stack configuration set before every preview and update (``path`` keys).

    >>> stack_config("aws", None, "eu-west-1")
    {'aws:region': 'eu-west-1'}
    """
    config = {"aws:region": region}
    if target == "emulator":
        if not endpoint_url:
            raise UsageError("the emulator target needs its endpoint URL",
                             fix="pass --endpoint-url (or -p endpoint_url=...) of a running "
                             "`aigov emulator`")
        for service in EMULATED_SERVICES:
            config[f"aws:endpoints[0].{service}"] = endpoint_url
        config.update({"aws:skipCredentialsValidation": "true",
                       "aws:skipRequestingAccountId": "true",
                       "aws:skipMetadataApiCheck": "true"})
    return config


SECRETS_PROVIDER_ENV = "AIGOV_PULUMI_SECRETS_PROVIDER"


def secrets_provider() -> str:
    """The stack's secrets provider: ``$AIGOV_PULUMI_SECRETS_PROVIDER`` (``awskms://...``,
    ``azurekeyvault://...``, ``default`` for Pulumi Cloud) or ``passphrase``."""
    return os.environ.get(SECRETS_PROVIDER_ENV) or "passphrase"


def passphrase_env() -> dict[str, str]:
    """Environment that gives Pulumi the passphrase, by file, without ever reading it.

    A passphrase is generated (into ``outputs/pulumi/passphrase``, beside the state it
    opens) only for the local ``file://`` backend under outputs/. With any other backend
    the state outlives this folder, so a generated passphrase could become the only,
    lost, key to it: the user's own passphrase or secrets provider is required.
    """
    if os.environ.get("PULUMI_CONFIG_PASSPHRASE") is not None or os.environ.get(
            "PULUMI_CONFIG_PASSPHRASE_FILE") or secrets_provider() != "passphrase":
        return {}
    if backend_url() != (pulumi_dir() / "state").as_uri():
        raise UsageError(f"the Pulumi backend {backend_url()} keeps state outside outputs/, "
                         "and no passphrase or secrets provider is set",
                         fix="set PULUMI_CONFIG_PASSPHRASE_FILE (or PULUMI_CONFIG_PASSPHRASE) "
                         f"to your own passphrase, or {SECRETS_PROVIDER_ENV} to a secrets "
                         "provider such as awskms://alias/pulumi")
    path = pulumi_dir() / "passphrase"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(32))
    return {"PULUMI_CONFIG_PASSPHRASE_FILE": str(path)}


def workspace_env(target: str) -> dict[str, str]:
    env = {**passphrase_env(), "PULUMI_SKIP_UPDATE_CHECK": "true"}
    if target == "emulator":  # moto takes any key; a real one must never reach it
        env.update(EMULATOR_ENV)
    return env


def workspace_options(target: str):  # -> pulumi.automation.LocalWorkspaceOptions
    from pulumi import automation as auto

    work = pulumi_dir() / "work"
    work.mkdir(parents=True, exist_ok=True)
    if backend_url().startswith("file://"):
        Path(backend_url()[len("file://"):]).mkdir(parents=True, exist_ok=True)
    return auto.LocalWorkspaceOptions(
        work_dir=str(work), env_vars=workspace_env(target), secrets_provider=secrets_provider(),
        project_settings=auto.ProjectSettings(name=PROJECT, runtime="python",
                                              backend=auto.ProjectBackend(url=backend_url())))


def plain_cli_environment(target: str, account_id: str | None, endpoint_url: str | None,
                          region: str) -> tuple[dict[str, str], dict[str, str]]:
    """``(environment, stack config)`` for the plain ``pulumi`` CLI to open the stack that
    ``aigov apply --engine pulumi`` opens: same backend (its folder created, so ``pulumi
    login`` works on a fresh clone), same passphrase file (generated here for the local
    backend when there is none yet), same stack name, same configuration. The passphrase
    itself is never in what is returned."""
    env = {"PULUMI_BACKEND_URL": backend_url(), **passphrase_env(),
           "AIGOV_PULUMI_STACK": stack_name(target, account_id),
           "AIGOV_PULUMI_SECRETS_PROVIDER": secrets_provider()}
    if env["PULUMI_BACKEND_URL"].startswith("file://"):
        Path(env["PULUMI_BACKEND_URL"][len("file://"):]).mkdir(parents=True, exist_ok=True)
    return env, stack_config(target, endpoint_url, region)


@dataclass
class PulumiRun:
    """What one preview or update reported (Pulumi's own counts and text)."""

    phase: str                      # adopt | preview | up
    changes: dict[str, int] = field(default_factory=dict)   # op -> count
    outputs: dict[str, Any] = field(default_factory=dict)
    stdout: str = ""
    steps: list[Step] = field(default_factory=list)         # per resource, from engine events

    @property
    def changed(self) -> int:
        return sum(n for op, n in self.changes.items() if op != "same")


def refuse_account_damage(run: PulumiRun) -> None:
    """``ChecksFailed`` (exit 1, nothing changed) when a step replaces or deletes an
    account, naming the property that forces it (``pulumi_guards.account_damage``)."""
    found = account_damage(run.steps)
    if found:
        raise ChecksFailed("the Pulumi engine never replaces or deletes an AWS account; "
                           "nothing was changed: " + "; ".join(f.message for f in found),
                           findings=found)


def _pulumi_error(op: str, exc: Exception) -> ApplyError:
    from pulumi.automation import ConcurrentUpdateError

    fix = ("another update holds the stack's lock: wait for it, or run `pulumi cancel` "
           "if it died" if isinstance(exc, ConcurrentUpdateError)
           else "read Pulumi's message above; fix and re-run")
    return ApplyError(f"pulumi {op} failed: {exc}", fix=fix)


class PulumiDriver:
    """One stack of the aigov project for one target."""

    def __init__(self, bundle: Bundle | Spec,
                 rendered: Mapping[str, RenderedPolicy] | None = None, *, target: str,
                 endpoint_url: str | None, account_id: str | None,
                 region: str = "us-east-1", on_output: Output | None = None) -> None:
        pulumi_cli()
        self.stack_name = stack_name(target, account_id)
        self.bundle = Bundle.of(bundle, rendered)
        self.spec, self.rendered = self.bundle.spec, self.bundle.rendered
        self.target, self.endpoint_url, self.region = target, endpoint_url, region
        self.on_output = on_output or print
        self._stack: Any = None

    def stack(self, prog: Callable[[], None]):
        from pulumi import automation as auto

        try:
            if self._stack is None:
                self._stack = auto.create_or_select_stack(
                    stack_name=self.stack_name, project_name=PROJECT, program=prog,
                    opts=workspace_options(self.target))
                config = stack_config(self.target, self.endpoint_url, self.region)
                self._stack.set_all_config({k: auto.ConfigValue(v) for k, v in config.items()},
                                           path=True)
        except auto.CommandError as exc:
            raise _pulumi_error("stack selection", exc) from exc
        return self._stack

    def managed(self) -> set[str]:
        """Logical names already in the stack's state."""
        from pulumi import automation as auto

        stack = self.stack(lambda: None)
        try:
            deployment = stack.export_stack().deployment or {}
        except auto.CommandError as exc:
            raise _pulumi_error("export", exc) from exc
        return {r["urn"].rsplit("::", 1)[-1] for r in deployment.get("resources", [])
                if "urn" in r}

    def pending_adoption(self, inv: Inventory) -> dict[str, Adopted]:
        """What exists and is not in the stack yet, plus (with ``import_=False``) what
        exists and is, so that an adopt-only update declares every live resource as it
        is and changes nothing. Empty when there is nothing to import."""
        managed = self.managed()
        found = adoption(self.spec, self.rendered, inv)
        if all(name in managed for name in found):
            return {}
        return {name: replace(a, import_=name not in managed) for name, a in found.items()}

    def preview(self, inv: Inventory) -> list[PulumiRun]:
        """Pulumi's preview: of the adoption first when it is pending (the full program is
        previewed once that import is in the state, just before its update)."""
        pending = self.pending_adoption(inv)
        if pending:
            return [self._preview("adopt", make_program(self.bundle, pending, adopt_only=True),
                                  self._targets(pending))]
        return [self._preview("preview", make_program(
            self.bundle, live_types=inv.enabled_policy_types))]

    def _targets(self, pending: Mapping[str, Adopted]) -> list[str]:
        """The adoption update touches only what it imports (``--target``), so nothing
        else in the stack (a policy removed from the spec, say) changes in that step."""
        return [urn(self.stack_name, name, PROJECT)
                for name, a in pending.items() if a.import_]

    def _preview(self, phase: str, prog: Callable[[], None],
                 targets: list[str] | None = None) -> PulumiRun:
        from pulumi import automation as auto

        steps: list[Step] = []

        def on_event(event: Any) -> None:
            step = step_of(event)
            if step is not None:
                steps.append(step)

        try:
            result = self.stack(prog).preview(program=prog, on_output=self.on_output, diff=True,
                                              target=targets, on_event=on_event)
        except auto.CommandError as exc:
            raise _pulumi_error("preview", exc) from exc
        return PulumiRun(phase, dict(result.change_summary or {}), stdout=result.stdout,
                         steps=steps)

    def up(self, inv: Inventory, *, allow_delete: bool,
           check: Callable[[PulumiRun], None] | None = None) -> list[PulumiRun]:
        """Adopt what is pending, then preview the full program, let ``check`` refuse it
        (an account replaced or deleted always is, other deletes without ``allow_delete``),
        and update."""
        runs = []
        pending = self.pending_adoption(inv)
        if pending:
            runs.append(self._up("adopt", make_program(self.bundle, pending, adopt_only=True),
                                 self._targets(pending)))
        full = make_program(self.bundle, live_types=inv.enabled_policy_types)
        preview = self._preview("preview", full)
        runs.append(preview)
        refuse_account_damage(preview)
        deletes = preview.changes.get("delete", 0) + preview.changes.get("replace", 0)
        if deletes and not allow_delete:
            raise ChecksFailed(f"the preview deletes or replaces {deletes} resource(s) and "
                               "allow_delete is off; nothing was changed",
                               findings=[finding("DEPLOY_DELETE_NOT_ALLOWED")])
        if check is not None:
            check(preview)
        runs.append(self._up("up", full))
        return runs

    def _up(self, phase: str, prog: Callable[[], None],
            targets: list[str] | None = None) -> PulumiRun:
        from pulumi import automation as auto

        try:
            result = self.stack(prog).up(program=prog, on_output=self.on_output, target=targets)
        except auto.CommandError as exc:
            raise _pulumi_error("up", exc) from exc
        outputs = {k: v.value for k, v in (result.outputs or {}).items()}
        return PulumiRun(phase, dict(result.summary.resource_changes or {}), outputs,
                         result.stdout)
