"""The ``aigov`` command: parse arguments, make one library call, render, exit.

This is the only place that catches ``AigovError``; it prints the message (file, line or
key, fix) and returns the error's exit code: 0 success, 1 a check found problems, 2 bad
input or usage (docs/contracts/exit-codes.md). The bodies that render a library result at length live in
``aigov.commands``. Library imports happen inside each command so ``aigov --help`` stays
fast.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from aigov.errors import AigovError, Interrupted, UsageError

Handler = Callable[[argparse.Namespace], int]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse exits 2 too; keep our format
        raise UsageError(f"{self.prog}: {message}", fix=f"see '{self.prog} --help'")


def _endpoint(p: argparse.ArgumentParser) -> None:
    p.add_argument("--endpoint-url", default=None,
                   help="AWS endpoint, e.g. a running `aigov emulator` (default: $AWS_ENDPOINT_URL)")


def _spec(p: argparse.ArgumentParser) -> None:
    p.add_argument("--spec", default=None, help="the spec (default: policies/organization.yaml)")


def cmd_run(a: argparse.Namespace) -> int:
    from aigov.runbook.run import parse_cli_params, run_runbook

    record = run_runbook(profile=a.profile, params=parse_cli_params(a.param),
                         endpoint_url=a.endpoint_url, checkpoint=a.checkpoint)
    return record.exit_code


def cmd_lint(a: argparse.Namespace) -> int:
    from aigov.findings import exit_code, to_json
    from aigov.policy.types import POLICY_TYPES

    if a.policy:
        if not a.type:
            first, *rest = POLICY_TYPES
            raise UsageError("--policy needs --type",
                             fix=f"add --type {first} (or {', '.join(rest)})")
        from aigov.policy.lint import lint_policy_file

        found = lint_policy_file(a.policy, a.type)
    else:
        # The spec alone first: a refused one exits 2 without importing the policy
        # checks, seconds on a loaded machine (tests/benchmarks/bench_spec_reader.py).
        from aigov.spec.load import validate_spec

        spec, found = validate_spec(a.spec)
        if spec is not None:
            from aigov.policy.lint import lint_valid_spec

            found = [*found, *lint_valid_spec(spec)]
    if a.json:
        print(to_json(found))
    else:
        for f in found:
            print(f.render())
        print(f"{len(found)} finding(s)", file=sys.stderr)
    return exit_code(found)


def cmd_test_policies(a: argparse.Namespace) -> int:
    from aigov.policy.simulate import run_policy_tests

    report = run_policy_tests(a.spec)
    print(report.render())
    return 0 if report.ok else 1


def cmd_simulate(a: argparse.Namespace) -> int:
    from aigov.policy.batch import run_batch

    if a.batch is None:
        from aigov.commands.policy import simulate_one

        return simulate_one(a.spec, target=a.target, action=a.action, resource=a.resource,
                            region=a.region, principal=a.principal, context=a.context,
                            drafts=a.draft, expect=a.expect, as_json=a.json)
    if a.target or a.action:
        raise UsageError("--batch answers a file of requests; --target/--action one request",
                         fix="use one or the other")
    return _batch(a.batch, run_batch)


def _batch(path: str, run: Callable[..., int]) -> int:
    """A JSON Lines batch (``--batch FILE|-``): answered line for line to stdout. Read as
    bytes (``aigov.policy.jsonlines``: a line that is not UTF-8 is refused on its line)."""
    if path == "-":
        return run(sys.stdin, sys.stdout)
    try:
        with open(path, "rb") as fh:
            return run(fh, sys.stdout)
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}", file=path,
                         fix="give a JSON Lines file, or - for standard input") from None


def cmd_prove(a: argparse.Namespace) -> int:
    """``aigov prove``: exit 0 when every property is as expected (proven, or refuted when
    marked a known gap), 1 otherwise (an encoding bug included), 2 for bad input."""
    if a.batch:
        from aigov.policy.prove.batch import run_batch as prove_batch

        return _batch(a.batch, prove_batch)
    import json

    from aigov.policy.prove.org import run_proofs

    report = run_proofs(a.spec)
    print(json.dumps(report.to_dict(), indent=2) if a.json else report.render())
    return 0 if report.ok else 1


def cmd_plan(a: argparse.Namespace) -> int:
    from aigov.commands.deploy import plan_command

    return plan_command(spec=a.spec, engine=a.engine, offline=a.offline, as_json=a.json,
                        endpoint_url=a.endpoint_url)


def cmd_apply(a: argparse.Namespace) -> int:
    from aigov.commands.deploy import apply_command
    from aigov.runbook.run import parse_cli_params

    params = parse_cli_params(a.param)
    unknown = set(params) - {"confirm"}
    if unknown:
        raise UsageError(f"aigov apply takes -p confirm=true only (got {sorted(unknown)})",
                         fix="allow_mutations comes from --profile NAME; confirm with --yes "
                         "or -p confirm=true")
    return apply_command(spec=a.spec, engine=a.engine, endpoint_url=a.endpoint_url,
                         confirm=a.yes or params.get("confirm") is True,
                         allow_delete=a.allow_delete, profile=a.profile)


def cmd_pulumi_env(a: argparse.Namespace) -> int:
    from aigov.commands.deploy import pulumi_env_command

    return pulumi_env_command(endpoint_url=a.endpoint_url)


def cmd_drift(a: argparse.Namespace) -> int:
    from aigov.commands.org import drift_command

    return drift_command(spec=a.spec, endpoint_url=a.endpoint_url, as_json=a.json)


def cmd_effective(a: argparse.Namespace) -> int:
    from aigov.commands.effective import effective_command

    return effective_command(spec=a.spec, account=a.account, policy_type=a.type,
                             as_json=a.json)


def cmd_emulator(a: argparse.Namespace) -> int:
    from aigov.commands.session import emulator_command

    return emulator_command(port=a.port, state_dir=a.state)


def cmd_verify(a: argparse.Namespace) -> int:
    from aigov.commands.records import verify_command

    return verify_command(a.run_dir, allowed_signers=a.allowed_signers,
                          checkpoint=a.checkpoint)


def cmd_runs(a: argparse.Namespace) -> int:
    from aigov.commands.records import runs_command

    return runs_command(as_json=a.json)


def cmd_lab(a: argparse.Namespace) -> int:
    from aigov.commands.session import lab_command

    return lab_command(port=a.port, endpoint_url=a.endpoint_url, open_browser=not a.no_browser)


def cmd_import(a: argparse.Namespace) -> int:
    from aigov.commands.org import import_command

    return import_command(a.endpoint_url, a.out, a.force, a.json)


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="aigov", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    s = sub.add_parser("run", help="run the runbook's notebooks in order into a run record")
    s.add_argument("--profile", default="emulator", help="notebooks/profiles/NAME.yaml")
    s.add_argument("-p", "--param", action="append", default=[], metavar="KEY=VALUE")
    _endpoint(s)
    s.add_argument("--checkpoint", default=None, metavar="FILE",
                   help="write the chain's head here, outside outputs/ "
                   "(default: $AIGOV_CHECKPOINT)")
    s.set_defaults(func=cmd_run)

    s = sub.add_parser("lint", help="lint the spec and every policy, or one policy")
    _spec(s)
    s.add_argument("--policy", help="lint this one policy document")
    s.add_argument("--type", help="the policy's type, with --policy")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_lint)

    s = sub.add_parser("test-policies", help="run policies/tests/*.yaml against the spec")
    _spec(s)
    s.set_defaults(func=cmd_test_policies)

    s = sub.add_parser("simulate", help="decide requests against SCPs and RCPs: one "
                       "(--target, --action) explained, or JSON Lines (--batch)")
    s.add_argument("--batch", default=None, metavar="FILE|-")
    _spec(s)
    s.add_argument("--target", help="Root, an OU path, or an account name or id")
    s.add_argument("--action", help="service:Action (a wildcard is expanded)")
    s.add_argument("--resource", default="*", help="the resource ARN (default: *)")
    s.add_argument("--region", default=None, help="the request's Region (aws:RequestedRegion)")
    s.add_argument("--principal", default=None, help="default: role/Dev in the target's account")
    s.add_argument("-c", "--context", action="append", default=[], metavar="KEY=VALUE",
                   help="a condition key; repeat a key for a multivalued one")
    s.add_argument("--draft", action="append", default=[], metavar="POLICY=FILE",
                   help="decide with FILE's JSON in place of that policy")
    s.add_argument("--expect", choices=["allow", "deny"], help="exit 1 unless decided so")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_simulate)

    s = sub.add_parser("prove", help="prove policies/properties/*.yaml over every request")
    _spec(s)
    s.add_argument("--json", action="store_true", help="one JSON object: every property's "
                   "result, counterexamples and decisions")
    s.add_argument("--batch", default=None, metavar="FILE|-",
                   help="JSON Lines: one property and its policies a line")
    s.set_defaults(func=cmd_prove)

    for name, func, helptext in (("plan", cmd_plan, "what apply would change"),
                                 ("apply", cmd_apply, "plan, gate, apply")):
        s = sub.add_parser(name, help=helptext)
        _spec(s)
        _endpoint(s)
        s.add_argument("--engine", choices=["auto", "direct", "pulumi"], default="auto")
        if name == "plan":
            s.add_argument("--offline", action="store_true",
                           help="pulumi: the resource graph from Pulumi's mocks, no CLI")
            s.add_argument("--json", action="store_true")
        else:
            s.add_argument("--yes", action="store_true", help="confirm the apply "
                           "(= -p confirm=true)")
            s.add_argument("-p", "--param", action="append", default=[], metavar="confirm=true")
            s.add_argument("--profile", default=None, help="notebooks/profiles/NAME.yaml "
                           "whose allow_mutations lets an AWS target be written")
            s.add_argument("--allow-delete", action="store_true")
        s.set_defaults(func=func)

    s = sub.add_parser("pulumi-env", help="shell lines for the plain pulumi CLI to open "
                       "the stack aigov apply uses")
    _endpoint(s)
    s.set_defaults(func=cmd_pulumi_env)

    s = sub.add_parser("drift", help="live organization vs spec")
    _spec(s)
    _endpoint(s)
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_drift)

    s = sub.add_parser("effective", help="an account's effective management policy, offline")
    s.add_argument("--account", required=True, help="account name or 12-digit id (or an OU path)")
    s.add_argument("--type", required=True, help="AISERVICES_OPT_OUT_POLICY, TAG_POLICY, "
                   "BEDROCK_POLICY or BACKUP_POLICY")
    s.add_argument("--json", action="store_true", help="DescribeEffectivePolicy's shape")
    _spec(s)
    s.set_defaults(func=cmd_effective)

    s = sub.add_parser("import", help="write the live organization as a spec, policy "
                       "files and a behaviour baseline (read-only)")
    _endpoint(s)
    s.add_argument("--out", default=None, metavar="DIR",
                   help="a new folder (default: ./aigov-import-<organization id>)")
    s.add_argument("--force", action="store_true",
                   help="replace the imported files in an existing --out folder")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_import)

    s = sub.add_parser("emulator", help="serve the AWS emulator on 127.0.0.1")
    s.add_argument("--port", type=int, default=None)
    s.add_argument("--state", default=None, help="keep the emulated state in this folder")
    s.set_defaults(func=cmd_emulator)

    s = sub.add_parser("verify", help="check run records and their chain")
    s.add_argument("run_dir", nargs="?", default=None)
    s.add_argument("--allowed-signers", default=None, metavar="FILE",
                   help="check every manifest's signature (OpenSSH allowed_signers file)")
    s.add_argument("--checkpoint", default=None, metavar="FILE",
                   help="refuse a chain whose head is older than this checkpoint "
                   "(default: $AIGOV_CHECKPOINT)")
    s.set_defaults(func=cmd_verify)

    s = sub.add_parser("runs", help="list run records")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_runs)

    s = sub.add_parser("lab", help="JupyterLab with the emulator, on the onboarding notebook")
    s.add_argument("--port", type=int, default=None)
    _endpoint(s)
    s.add_argument("--no-browser", action="store_true")
    s.set_defaults(func=cmd_lab)
    return p


def _handle_termination() -> dict:
    """SIGTERM and SIGHUP raise ``Interrupted`` (a KeyboardInterrupt) in the main thread,
    so they end a command exactly as Ctrl-C does; a second one during the cleanup is
    ignored, so the record and report still get written."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return {}

    def on_signal(signum: int, _frame: object) -> None:
        for sig in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)
        raise Interrupted(signum)

    return {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGHUP)}


def main(argv: Sequence[str] | None = None) -> int:
    import signal

    previous = _handle_termination()
    try:
        return _main(argv)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _main(argv: Sequence[str] | None) -> int:
    try:
        args = build_parser().parse_args(argv)
        return args.func(args)
    except AigovError as err:
        print(f"aigov: {err.render()}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt as exc:
        return _interrupted(exc)
    except BrokenPipeError:
        # `aigov plan --json | head`: the reader left; say nothing more.
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as exc:  # noqa: BLE001 - the one place a bug becomes exit 3
        if type(exc).__module__.startswith("zmq"):
            # Ctrl-C landing inside a kernel-channel call surfaces as ZMQError (EINTR,
            # a context torn down): an interruption, not a bug.
            return _interrupted(KeyboardInterrupt())
        return _internal_error(exc)


def _interrupted(exc: BaseException) -> int:
    """One line and 130/143/129; errors that late threads and finalizers raise while
    the kernel's channels close (zmq) are not printed as tracebacks."""
    import threading

    sys.unraisablehook = lambda _unraisable: None
    threading.excepthook = lambda _args: None
    print(f"aigov: interrupted ({getattr(exc, 'name', 'SIGINT')})", file=sys.stderr)
    return getattr(exc, "exit_code", 130)


def _internal_error(exc: BaseException) -> int:
    """A bug: one line (what and where the traceback went), exit 3; never a traceback on
    the terminal unless ``AIGOV_DEBUG=1`` asks for one (docs/contracts/exit-codes.md)."""
    import os
    import traceback

    text = "".join(traceback.format_exception(exc))
    if os.environ.get("AIGOV_DEBUG") == "1":
        sys.stderr.write(text)
        where = "above"
    else:
        where = _save_traceback(text)
    print(f"aigov: internal error ({type(exc).__name__}): a bug in aigov, not in your "
          f"input; please report it with the traceback ({where}); see README, "
          "'Reporting a bug'", file=sys.stderr)
    return 3


def _save_traceback(text: str) -> str:
    """Write the traceback under outputs/errors/ (mode 0600); return where, or how to
    get it when that is impossible."""
    import os
    import time

    from aigov.paths import outputs_dir

    try:
        folder = outputs_dir() / "errors"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}-{os.getpid()}.txt"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        return f"saved in {path}"
    except OSError:
        return "re-run with AIGOV_DEBUG=1 to see it"


if __name__ == "__main__":
    sys.exit(main())
