"""Spec reads, template renders and lint runs in one ``aigov plan`` and one
``aigov apply`` (direct engine) of the shipped spec against a fresh moto server.
Prints figures, asserts nothing (``tests/test_bundle.py`` asserts once per policy).

With one ``Bundle`` per command the spec is read once and each policy rendered once:
``apply`` renders 20 templates for the 20 policies (it rendered 60 and read the spec
twice before the bundle: plan, the gate's lint, the gate's policy tests). Then, at
200 OUs / 1,000 accounts (``scale_spec.py``), what notebook 03 spends on lint and what
05's gate spends instead when the files are unchanged (it reuses 03's findings).

    PYTHONPATH=lib:tests/benchmarks .venv/bin/python tests/benchmarks/bench_bundle.py
"""

from __future__ import annotations

import contextlib
import io
import time
from collections import Counter

import aigov.policy.checks.quotas as quotas
import aigov.policy.render as render
from aigov.cli import main
from aigov.spec.model import Spec
from aigov.target.emulator import Emulator


def spy() -> Counter:
    calls: Counter = Counter()
    render_text, lint_once, validate = (render.render_text, quotas.check_attachments_per_target,
                                        Spec.model_validate)

    def counted_render(spec, policy):  # noqa: ANN001, ANN202
        calls["render"] += 1
        return render_text(spec, policy)

    def counted_lint(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202 - once per lint
        calls["lint"] += 1
        return lint_once(*args, **kwargs)

    def counted_validate(data, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        calls["spec"] += isinstance(data, dict) and "source" in data
        return validate(data, *args, **kwargs)

    render.render_text = counted_render
    quotas.check_attachments_per_target = counted_lint
    Spec.model_validate = counted_validate
    return calls


def main_() -> None:
    calls = spy()
    emu = Emulator()
    try:
        for cmd in ("plan", "apply"):
            calls.clear()
            start = time.perf_counter()
            with contextlib.redirect_stdout(io.StringIO()):
                rc = main([cmd, "--engine", "direct", "--endpoint-url", emu.url])
            print(f"aigov {cmd}: exit {rc}, {time.perf_counter() - start:.2f} s, "
                  f"spec reads {calls['spec']}, template renders {calls['render']}, "
                  f"lint runs {calls['lint']}")
    finally:
        emu.stop()


def lint_once_per_run(n_ous: int = 200, n_accounts: int = 1000) -> None:
    import tempfile
    from pathlib import Path

    from scale_spec import write_spec

    from aigov.policy.bundle import Bundle

    with tempfile.TemporaryDirectory() as tmp:
        spec = write_spec(Path(tmp) / "spec", n_ous, n_accounts)
        store = Path(tmp) / "shared" / "lint.json"
        for notebook in ("03 (lints)", "05 (same files)"):
            start = time.perf_counter()
            bundle = Bundle.load(spec, lint_store=store)
            found = len(bundle.findings)
            print(f"{n_ous} OUs / {n_accounts} accounts, {notebook}: spec, render and lint "
                  f"findings in {time.perf_counter() - start:.2f} s ({found} findings, "
                  f"{'kept' if bundle.lint_reused else 'linted'})")


if __name__ == "__main__":
    main_()
    lint_once_per_run()
