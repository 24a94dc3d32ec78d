"""The gate before any apply, whichever engine: a verdict with every reason to refuse.

In order: lint errors block; the policy tests (``policies/tests/*.yaml``) must pass
against the planned state, which is the spec; the planned state and every intermediate
state of the engine's step order must keep every sentinel request allowed at every OU
and account (``aigov.policy.lockout``, the same finding lint reports, reported once
here); and on the ``aws``
target nothing mutates unless the profile allows mutations, the run is confirmed, and
the caller is the management account (``aigov.deploy.permission``). A refused verdict raises ``ChecksFailed`` (exit 1)
before the first write.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aigov.deploy.lockout_steps import engine_steps, step_findings
from aigov.deploy.permission import may_write
from aigov.errors import AigovError, ChecksFailed
from aigov.findings import Finding, Severity, finding
from aigov.org.inventory import Inventory
from aigov.org.plan import Change, Plan
from aigov.policy.bundle import Bundle
from aigov.policy.lockout import state_findings
from aigov.spec.model import Spec


@dataclass(frozen=True)
class Check:
    name: str
    passed: bool
    detail: str = ""


@dataclass
class Verdict:
    """The gate's answer. ``findings`` of severity error are the reasons to refuse."""

    checks: list[Check] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(f.severity is Severity.ERROR for f in self.findings)

    @property
    def reasons(self) -> list[str]:
        return [f"{f.code}: {f.message}" for f in self.findings if f.severity is Severity.ERROR]

    def codes(self) -> set[str]:
        return {f.code for f in self.findings}

    def add(self, name: str, found: list[Finding], passed_detail: str = "ok") -> None:
        errors = [f for f in found if f.severity is Severity.ERROR]
        self.findings.extend(found)
        self.checks.append(Check(name, not errors, "; ".join(f.message for f in errors)
                                 if errors else passed_detail))

    def rows(self) -> list[dict[str, Any]]:
        return [{"check": c.name, "passed": c.passed, "detail": c.detail} for c in self.checks]

    def table(self):  # -> pandas.DataFrame
        import pandas as pd

        return pd.DataFrame(self.rows(), columns=["check", "passed", "detail"])

    def render(self) -> str:
        lines = [f"  {'pass' if c.passed else 'FAIL'}  {c.name}: {c.detail}" for c in self.checks]
        head = "gate: apply allowed" if self.ok else "gate: apply REFUSED, nothing was changed"
        return "\n".join([head, *lines])

    def summary(self) -> dict[str, Any]:
        return {"gate": "passed" if self.ok else "refused", "gate_reasons": self.reasons}

    def raise_if_refused(self) -> None:
        if not self.ok:
            raise ChecksFailed("the gate refused the apply, nothing was changed:\n"
                               + "\n".join(f"  {r}" for r in self.reasons),
                               findings=self.findings)


def lint_findings(bundle: Bundle) -> list[Finding]:
    """The bundle's lint errors as one gate finding. The bundle lints once: a command's
    lint, or notebook 03's findings reused in 05 when the files are byte-identical
    (``Bundle.reuse_lint``)."""
    # The lockout finding has its own check below; it is not counted twice.
    errors = [f for f in bundle.lint_errors if f.code != "LOCKOUT_SENTINEL_DENIED"]
    if not errors:
        return []
    first = errors[0]
    return [finding("DEPLOY_LINT_ERRORS", f"{len(errors)} lint error(s), first: "
                    f"{first.code} {first.message}", file=first.file)]


def policy_test_findings(bundle: Bundle) -> tuple[list[Finding], str]:
    try:
        from aigov.policy.simulate import run_policy_tests
    except ImportError as exc:
        return [finding("DEPLOY_POLICY_TESTS_UNAVAILABLE",
                        f"the policy test runner cannot be imported: {exc}")], ""
    try:
        report = run_policy_tests(bundle)  # the planned state is the spec itself
    except AigovError as exc:  # a policy the evaluator cannot parse, a bad test target
        return [finding("DEPLOY_POLICY_TESTS_FAILED",
                        f"the policy tests could not run: {exc.message}")], ""
    if report.ok:
        return [], _counts(report)
    return [finding("DEPLOY_POLICY_TESTS_FAILED",
                    f"policy tests fail against the planned state ({_counts(report)})")], ""


def _counts(report: Any) -> str:
    passed, failed = getattr(report, "passed", None), getattr(report, "failed", None)
    if isinstance(passed, int | list) and isinstance(failed, int | list):
        n_pass = passed if isinstance(passed, int) else len(passed)
        n_fail = failed if isinstance(failed, int) else len(failed)
        return f"{n_pass} passed, {n_fail} failed"
    return "all passed" if report.ok else "failures"


def mutation_findings(inv: Inventory | None, spec: Spec, *, target: str,
                      allow_mutations: bool, confirm: bool) -> list[Finding]:
    """Why this run may not write (``aigov.deploy.permission``, the one rule)."""
    return may_write(target, inv, spec, allow_mutations=allow_mutations,
                     confirm=confirm).findings


def evaluate_gate(bundle: Bundle | Spec, *, direct_plan: Plan | None = None,
                  inventory: Inventory | None = None, target: str = "emulator",
                  allow_mutations: bool = False, confirm: bool = False,
                  pending: int = 0, applying: bool = True,
                  steps: list[Change] | None = None) -> Verdict:
    """Every check, each reported (the verdict lists all reasons, not just the first),
    over the bundle's documents and its lint findings.

    ``direct_plan`` and ``inventory`` (the direct engine's plan and what it was computed
    from) add the step-by-step check over ``steps`` (the engine's real order, default
    the plan's: ``aigov.deploy.lockout_steps.engine_steps``); an empty plan needs no
    permission to mutate unless ``pending`` (the engine's own count, e.g. Pulumi's
    preview) says there is work, and a run that only shows the plan
    (``applying=False``) needs none either.
    """
    bundle = Bundle.of(bundle)
    spec, rendered = bundle.spec, bundle.rendered
    verdict = Verdict()
    lint = lint_findings(bundle)
    verdict.add("lint", lint, "no lint errors" + (" (kept by an earlier lint of the same "
                                                   "spec and policy bytes)"
                                                   if bundle.lint_reused else ""))
    if lint:
        verdict.checks.append(Check("policy tests against the planned state", False,
                                    "not run: fix the lint errors first"))
    else:
        found, detail = policy_test_findings(bundle)
        verdict.add("policy tests against the planned state", found, detail or "passed")
    verdict.add("no OU or account locks its administrators out",
                list(state_findings(spec, rendered, bundle.file)),
                "every sentinel request stays allowed in the planned state")
    if direct_plan is not None and inventory is not None:
        order = steps if steps is not None else engine_steps("direct", direct_plan.changes)
        verdict.add("no step of the plan locks anyone out",
                    list(step_findings(spec, rendered, inventory, order)),
                    f"{len(order)} step(s) checked")
    if not applying:
        verdict.checks.append(Check(f"may change the organization (target {target})", True,
                                    "not applying: the plan is only shown"))
    elif direct_plan is None or not direct_plan.empty or pending:
        verdict.add(f"may change the organization (target {target})",
                    mutation_findings(inventory, spec, target=target,
                                      allow_mutations=allow_mutations, confirm=confirm),
                    "allowed")
    return verdict
