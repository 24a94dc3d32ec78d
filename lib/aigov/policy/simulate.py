"""Simulate requests against the spec's OU tree and rendered policies; run policy tests.

AWS's policy simulator cannot see draft SCPs, nor RCPs at all, so the drafts are
simulated here before anything is deployed. ``OrgModel`` compiles every rendered policy
once and builds, per target, the chain of levels from Root down (with FullAWSAccess
where the spec leaves it attached, RCPFullAWSAccess everywhere RCPs are enabled).
A target that is an OU stands for an account placed in it: that account's own level
holds only FullAWSAccess, which restricts nothing, so the chain stops at the OU.

``policies/tests/*.yaml`` (docs/contracts/policy-tests.md) are the expectations: ``run_policy_tests`` checks
each case and explains every decision. The batch contract lives in ``batch.py``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from aigov.errors import SpecError, UsageError
from aigov.findings import Finding, finding
from aigov.inputs import load_yaml, read_text
from aigov.policy.bundle import Bundle
from aigov.policy.evaluate import (
    EXAMPLE_ACCOUNT,
    Chain,
    Decision,
    Evaluator,
    Level,
    Request,
    default_principal,
    make_request,
)
from aigov.policy.explain import explain
from aigov.policy.managed import RenderedPolicy, aws_managed_at
from aigov.policy.parse import Policy, parse_policy
from aigov.policy.types import RCP, SCP
from aigov.spec.model import ROOT, Spec
from aigov.spec.targets import AmbiguousTarget

# imported by the report's table; a kernel started ahead for notebook 04 imports it
# while the previous notebook runs (runbook/kernels.py)
DEFERRED_IMPORTS = ("pandas",)

EXPECTS = ("allow", "deny")
CASE_KEYS = {"name", "target", "action", "resource", "context", "expect", "principal",
             "account"}
MANAGEMENT = "management"


class OrgModel:
    """The spec compiled for simulation: one ``Policy`` per rendered document, and one
    ``Chain`` per target, built once and reused for every request."""

    def __init__(self, bundle: Bundle | Spec, *, management_account: str | None = None,
                 rendered: Mapping[str, RenderedPolicy] | None = None) -> None:
        self.bundle = bundle = Bundle.of(bundle, rendered)  # rendered: drafts in place
        self.spec = spec = bundle.spec
        self.rendered = bundle.rendered
        self.management_account = management_account or bundle.management_account
        enabled = spec.organization.enabled_policy_types
        self.rcps_enabled = RCP in enabled
        self.scps_enabled = SCP in enabled
        self._managed = {m.name: parse_policy(m.document, name=m.name, policy_type=t)
                         for t in (SCP, RCP) for m in aws_managed_at(t)}
        self.policies: dict[str, Policy] = bundle.parsed
        self._levels: dict[tuple[str, str], Level] = {}
        self._chains: dict[tuple[str, str], Chain] = {}
        self._resolved: dict[str, str] = {}
        self.evaluator = Evaluator()
        self.index = spec.index  # the one target resolver (spec/targets.py)

    def _path(self, key: str) -> list[str]:
        """Levels from Root down to ``key``: ``["Root", "AI", "AI/Development", ...]``."""
        return [ROOT] if key == MANAGEMENT else self.index.path(key)

    def level(self, key: str, kind: str) -> Level:
        """The policies of ``kind`` (SCP or RCP) attached at one level (a canonical key):
        what ``render.attached`` says is there, compiled."""
        got = self._levels.get((key, kind))
        if got is None:
            ptype = SCP if kind == "SCP" else RCP
            here = self.bundle.attached(key, ptype)
            pols = [self._managed[r.name] if r.aws_managed else self.policies[r.name]
                    for r in here if r.aws_managed or r.name in self.policies]
            got = self._levels[(key, kind)] = Level(key, tuple(pols))
        return got

    def resolve(self, target: str) -> str:
        """Canonical key of a target (``Root``, OU path, ``account:HANDLE``, ``management``);
        ``UsageError`` names the known targets when it is unknown."""
        got = self._resolved.get(target)
        if got is not None:
            return got
        ref = target.strip()
        if ref == MANAGEMENT or (self.management_account and ref == self.management_account
                                 and self.index.account(ref) is None):
            got = MANAGEMENT
        else:
            try:
                got = self.index.key(ref)
            except AmbiguousTarget as exc:
                raise UsageError(f"target {target!r} is the name of {len(exc.ids)} accounts "
                                 f"({', '.join(exc.ids)})", location="target",
                                 fix=f"use the account id: one of {', '.join(exc.ids)}"
                                 ) from None
            except KeyError:
                known = ", ".join(self.spec.targets())
                raise UsageError(f"unknown target {target!r}", location="target",
                                 fix=f"use Root, an OU path or an account name or id: {known}"
                                 ) from None
        self._resolved[target] = got
        return got

    def chain(self, target: str, kind: str = "SCP") -> Chain | None:
        """The chain of ``kind`` levels for ``target``; ``None`` if the type is disabled."""
        if (kind == "SCP" and not self.scps_enabled) or (kind == "RCP" and not self.rcps_enabled):
            return None
        key = self.resolve(target)
        got = self._chains.get((key, kind))
        if got is None:
            got = self._chains[(key, kind)] = Chain(kind, tuple(
                self.level(lv, kind) for lv in self._path(key)))
        return got

    def account_id(self, target: str) -> str | None:
        key = self.resolve(target)
        if key == MANAGEMENT:
            return self.management_account or "000000000000"
        if key.startswith("account:"):
            return self.index.account(key.removeprefix("account:")).id
        return None

    def request(self, target: str, action: str, resource: str = "*",
                context: Mapping[str, str | Sequence[str]] | None = None,
                principal: str | None = None, account: str | None = None) -> Request:
        """A request made by a principal of ``target``'s account (a role named Dev in it
        unless ``principal`` says otherwise)."""
        acct = self.account_id(target) or EXAMPLE_ACCOUNT
        principal = principal or default_principal(acct)
        return make_request(action, resource, context, principal, account or acct)

    def decide(self, target: str, request: Request) -> Decision:
        return self.decide_many(target, [request])[0]

    def decide_many(self, target: str, requests: Sequence[Request]) -> list[Decision]:
        """Decisions for requests made from ``target`` (one matrix column)."""
        mgmt = self.management_account
        if self.resolve(target) == MANAGEMENT and requests:
            mgmt = mgmt or requests[0].account
        return self.evaluator.decide_many(requests, self.chain(target, "SCP"),
                                          self.chain(target, "RCP"), management_account=mgmt)

    def simulate(self, target: str, action: str, resource: str = "*",
                 context: Mapping[str, str | Sequence[str]] | None = None,
                 principal: str | None = None, account: str | None = None) -> Decision:
        """Decide one request made from ``target``: ``model.simulate("ai-dev",
        "bedrock:InvokeModel", arn, {"aws:RequestedRegion": "us-east-1"})``."""
        return self.decide(target, self.request(target, action, resource, context,
                                                principal, account))


# -- policy tests --------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One expectation of ``policies/tests/*.yaml``."""

    file: str
    index: int
    name: str
    target: str
    action: str
    expect: str
    resource: str = "*"
    context: Mapping[str, Any] = field(default_factory=dict)
    principal: str | None = None
    account: str | None = None
    line: int | None = None


@dataclass(frozen=True)
class CaseResult:
    case: Case
    decision: Decision
    explanation: str = ""  # for a failed case: the decision explained to the condition

    @property
    def passed(self) -> bool:
        return self.decision.decision == self.case.expect

    def render(self) -> str:
        c = self.case
        head = (f"{'ok  ' if self.passed else 'FAIL'} {Path(c.file).name}:{c.line or c.index}"
                f" {c.name} [{c.target} {c.action}] expected {c.expect}, got "
                f"{self.decision.decision}")
        if self.passed:
            return head
        text = self.explanation or self.decision.explain()
        body = "\n".join("     " + ln for ln in text.splitlines())
        return f"{head}\n{body}"


@dataclass
class TestReport:
    """Every case's result; ``ok`` when all expectations are met."""

    results: list[CaseResult]

    @property
    def passed(self) -> int:
        return sum(r.passed for r in self.results)

    @property
    def failed(self) -> int:
        return len(self.results) - self.passed

    @property
    def ok(self) -> bool:
        return self.failed == 0

    def failures(self) -> list[CaseResult]:
        return [r for r in self.results if not r.passed]

    def findings(self) -> list[Finding]:
        """One ``POLICY_TEST_FAILED`` finding per unmet expectation, located at its case."""
        return [finding("POLICY_TEST_FAILED",
                        f"{r.case.name}: expected {r.case.expect}, got {r.decision.decision} "
                        f"({r.decision.reason})", file=r.case.file, line=r.case.line,
                        key=f"cases[{r.case.index}]") for r in self.failures()]

    def render(self, verbose: bool = True) -> str:
        """Every case (``verbose``) or only the failed ones, then the counts."""
        lines = [r.render() for r in self.results if verbose or not r.passed]
        lines.append(f"{self.passed} passed, {self.failed} failed")
        return "\n".join(lines)

    def to_frame(self):  # -> pandas.DataFrame
        import pandas as pd

        return pd.DataFrame([{"file": Path(r.case.file).name, "case": r.case.name,
                              "target": r.case.target, "action": r.case.action,
                              "expect": r.case.expect, "decision": r.decision.decision,
                              "passed": r.passed, "reason": r.decision.reason}
                             for r in self.results])


def _case_lines(text: str) -> list[int]:
    """The line of each ``cases:`` item, for messages."""
    node = yaml.compose(text)
    if not isinstance(node, yaml.MappingNode):
        return []
    for k, v in node.value:
        if k.value == "cases" and isinstance(v, yaml.SequenceNode):
            return [item.start_mark.line + 1 for item in v.value]
    return []


def load_cases(path: Path) -> list[Case]:
    """Read one test file; a malformed one raises ``SpecError`` naming file, case, key."""
    text = read_text(path, "data")  # InputError (exit 2) if too large or not UTF-8
    try:
        data = load_yaml(text, str(path)) or {}
        lines = _case_lines(text)
    except yaml.YAMLError as exc:
        raise SpecError(f"not valid YAML: {exc}", file=str(path),
                        fix="fix the YAML syntax") from None
    cases = data.get("cases") if isinstance(data, dict) else None
    if not isinstance(cases, list):
        raise SpecError("a test file holds `cases:`, a list", file=str(path),
                        fix="see docs/contracts/policy-tests.md")
    out = []
    for i, raw in enumerate(cases):
        line = lines[i] if i < len(lines) else None
        where = f"line {line}, cases[{i}]" if line else f"cases[{i}]"

        def bad(msg: str, fix: str, where: str = where) -> SpecError:
            return SpecError(msg, file=str(path), location=where, fix=fix)
        if not isinstance(raw, dict):
            raise bad("a case is a mapping", "write name, target, action, expect")
        unknown = set(raw) - CASE_KEYS
        if unknown:
            raise bad(f"unknown key(s) {', '.join(sorted(unknown))}",
                      f"use {', '.join(sorted(CASE_KEYS))}")
        for key in ("name", "target", "action", "expect"):
            if not isinstance(raw.get(key), str) or not raw[key]:
                raise bad(f"missing or empty `{key}`", f"add `{key}:` to the case")
        if raw["expect"] not in EXPECTS:
            raise bad(f"expect is {raw['expect']!r}", "write expect: allow or expect: deny")
        ctx = raw.get("context") or {}
        if not isinstance(ctx, dict) or not all(
                isinstance(v, str) or (isinstance(v, list) and all(isinstance(x, str) for x in v))
                for v in ctx.values()):
            raise bad("context maps keys to strings or lists of strings",
                      "quote numbers and booleans: {aws:MultiFactorAuthPresent: 'true'}")
        out.append(Case(file=str(path), index=i, name=raw["name"], target=str(raw["target"]),
                        action=raw["action"], expect=raw["expect"],
                        resource=str(raw.get("resource", "*")), context=ctx,
                        principal=raw.get("principal"), account=raw.get("account"),
                        line=line))
    return out


def tests_dir(spec: Spec) -> Path:
    base = spec.source.parent if spec.source else Path.cwd()
    return base / "tests"


def load_all_cases(spec: Spec, paths: Sequence[Path] | None = None) -> list[Case]:
    files = list(paths) if paths is not None else sorted(tests_dir(spec).glob("*.yaml"))
    return [c for f in files for c in load_cases(Path(f))]


def check_cases(model: OrgModel, cases: Sequence[Case]) -> TestReport:
    results = []
    for c in cases:
        try:
            decision = model.simulate(c.target, c.action, c.resource, c.context,
                                      c.principal, c.account)
        except UsageError as exc:
            raise SpecError(exc.message, file=c.file,
                            location=f"line {c.line}, cases[{c.index}].target", fix=exc.fix
                            ) from None
        result = CaseResult(c, decision)
        if not result.passed:  # explained down to the condition (aigov.policy.explain)
            req = model.request(c.target, c.action, c.resource, c.context, c.principal,
                                c.account)
            chains = {k: model.chain(c.target, k) for k in ("SCP", "RCP")}
            descriptions = {p.name: p.description for p in model.spec.policies}
            result = CaseResult(c, decision, explain(decision, req, chains,
                                                     descriptions).text())
        results.append(result)
    return TestReport(results)


def run_policy_tests(spec: str | Spec | Bundle | None = None, *, model: OrgModel | None = None,
                     paths: Sequence[Path] | None = None) -> TestReport:
    """``aigov test-policies``: every case of ``policies/tests/*.yaml`` against the spec
    (a path, a spec or a bundle; ``model`` when one is compiled already)."""
    if model is None:
        model = bundle_of(spec).model()
    return check_cases(model, load_all_cases(model.spec, paths))


def bundle_of(spec: str | Spec | Bundle | None) -> Bundle:
    """The bundle of a spec path (the CLI's ``--spec``; default the repository's spec),
    a spec, or a bundle."""
    if isinstance(spec, Spec | Bundle):
        return Bundle.of(spec)
    from aigov.paths import default_spec, resolve

    return Bundle.load(resolve(spec) if spec else default_spec())


def run_batch(infile, outfile) -> int:  # noqa: ANN001 - streams (aigov.policy.jsonlines)
    """``aigov simulate --batch``: see ``aigov.policy.batch``."""
    from aigov.policy.batch import run_batch as _run

    return _run(infile, outfile)
