"""One ``Bundle`` per command or notebook: the spec read once, each policy rendered once,
lint run once per run and never reused for files that changed (docs/architecture.md,
"Data flow")."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest

import aigov.policy.lint
import aigov.policy.render
from aigov.cli import main
from aigov.deploy.gate import evaluate_gate
from aigov.errors import SpecError
from aigov.policy.bundle import Bundle
from aigov.policy.lint_report import lint_report
from aigov.runbook.notebook import start
from aigov.spec.model import Spec
from conftest import ROOT


@pytest.fixture
def policies(tmp_path: Path) -> Path:
    """A copy of the shipped spec and its policy files, free to edit."""
    shutil.copytree(ROOT / "policies", tmp_path / "policies")
    return tmp_path / "policies" / "organization.yaml"


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> Counter:
    """Counts ``render_text`` calls by policy name, specs loaded (``spec``) and lint
    runs (``lint``)."""
    calls: Counter = Counter()
    render_text = aigov.policy.render.render_text
    lint_bundle = aigov.policy.lint.lint_bundle
    validate = Spec.model_validate

    def counted_render(spec, policy):  # noqa: ANN001, ANN202
        calls[policy.name] += 1
        return render_text(spec, policy)

    def counted_lint(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        calls["lint"] += 1
        return lint_bundle(*args, **kwargs)

    def counted_validate(data, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        calls["spec"] += isinstance(data, dict) and "source" in data
        return validate(data, *args, **kwargs)

    monkeypatch.setattr(aigov.policy.render, "render_text", counted_render)
    monkeypatch.setattr(aigov.policy.lint, "lint_bundle", counted_lint)
    monkeypatch.setattr(Spec, "model_validate", counted_validate)
    return calls


def _renders(calls: Counter, spec: Path) -> dict[str, int]:
    return {p.name: calls[p.name] for p in Bundle.load(spec).spec.policies}


def test_a_bad_spec_path_is_a_spec_error_with_exit_2(tmp_path):
    (tmp_path / "organization.yaml").write_text("organization: [\n", encoding="utf-8")
    with pytest.raises(SpecError) as err:
        Bundle.load(tmp_path / "organization.yaml")
    assert err.value.exit_code == 2


def test_members_are_computed_once_and_only_when_asked(policies, spy):
    bundle = Bundle.load(policies)
    assert spy["spec"] == 1
    assert sum(spy[p.name] for p in bundle.spec.policies) == 0  # nothing rendered yet
    bundle.document("deny-leave-organization")
    assert spy["deny-leave-organization"] == 1
    assert bundle.rendered is bundle.rendered and bundle.parsed is bundle.parsed
    assert bundle.model() is bundle.model()
    assert bundle.findings == bundle.findings
    assert spy["lint"] == 1
    assert set(_renders(spy, policies).values()) == {1}


@pytest.mark.slow
def test_one_aigov_plan_and_one_aigov_apply_render_each_policy_once(policies, spy,
                                                                    emulator, capsys):
    url = emulator.url
    assert main(["plan", "--spec", str(policies), "--engine", "direct",
                 "--endpoint-url", url]) == 0
    plan_calls = Counter(spy)
    assert plan_calls["spec"] == 1
    assert set(_renders(plan_calls, policies).values()) == {1}
    spy.clear()
    assert main(["apply", "--spec", str(policies), "--engine", "direct",
                 "--endpoint-url", url]) == 0
    assert "applied" in capsys.readouterr().out
    # plan, gate (lint, policy tests, lockout), apply and the fresh plan after it:
    # one spec read, one lint, one rendering of each policy.
    assert spy["spec"] == 1 and spy["lint"] == 1
    assert set(_renders(spy, policies).values()) == {1}


@pytest.mark.slow
def test_a_notebook_context_renders_each_policy_once_across_its_cells(policies, spy,
                                                                      tmp_path):
    from aigov.policy.matrix import access_matrix
    from aigov.policy.prove.org import run_proofs
    from aigov.policy.simulate import run_policy_tests
    from aigov.runbook.adapters import model_for_run

    ctx = start("04_simulate", {"spec": str(policies), "run_dir": str(tmp_path / "run")})
    model = model_for_run(ctx)
    assert run_policy_tests(model=model).ok
    run_proofs(model=model)
    access_matrix(model)
    lint_report(ctx.bundle)
    evaluate_gate(ctx.bundle, applying=False)
    assert spy["spec"] == 1 and spy["lint"] == 1
    assert set(_renders(spy, policies).values()) == {1}


def test_the_gate_reuses_03s_lint_when_the_files_are_byte_identical(policies, spy, tmp_path):
    params = {"spec": str(policies), "run_dir": str(tmp_path / "run")}
    report = lint_report(start("03_policies", params).bundle)
    assert spy["lint"] == 1
    verdict = evaluate_gate(start("05_deploy", params).bundle, applying=False)
    assert spy["lint"] == 1  # 05 read 03's findings
    assert verdict.checks[0].passed == (not report.errors)
    assert "kept by an earlier lint" in verdict.checks[0].detail


def test_the_gate_lints_again_when_a_policy_changed_after_03(policies, spy, tmp_path):
    params = {"spec": str(policies), "run_dir": str(tmp_path / "run")}
    assert not lint_report(start("03_policies", params).bundle).errors
    edited = policies.parent / "scp" / "deny_leave_organization.json.j2"
    edited.write_text(edited.read_text(encoding="utf-8").replace('"Deny"', '"Denied"'),
                      encoding="utf-8")
    verdict = evaluate_gate(start("05_deploy", params).bundle, applying=False)
    assert spy["lint"] == 2  # the findings kept by 03 were for other bytes
    assert "DEPLOY_LINT_ERRORS" in verdict.codes()


def test_kept_findings_of_other_bytes_are_never_read(policies, tmp_path):
    store = tmp_path / "lint.json"
    first = Bundle.load(policies, lint_store=store)
    assert first.findings is not None and store.is_file()
    (policies.parent / "scp" / "deny_leave_organization.json.j2").write_text(
        "{ not json", encoding="utf-8")
    again = Bundle.load(policies, lint_store=store)
    assert again.digest != first.digest
    assert "POLICY_NOT_JSON" in {f.code for f in again.findings}
