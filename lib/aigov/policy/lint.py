"""``aigov lint``: the spec's findings plus every policy's, or one policy file alone.

The rules are registered in ``checks/registry.py``: document rules per policy type, and
spec-wide rules (attachments, lockout) that see every rendered policy and where it
attaches. A policy
that is not JSON or a template that does not render is a finding with its line, never a
crash; an unreadable ``--policy`` file is a usage error (exit 2).
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from aigov.errors import InputError, PolicySyntaxError, SpecError, UsageError
from aigov.findings import Finding, Severity, apply_overrides, finding
from aigov.findings import catalogue as code_catalogue
from aigov.inputs import load_json, read_text
from aigov.paths import resolve
from aigov.policy.checks import quotas, registry
from aigov.policy.checks.document import PolicyDoc, json_lines
from aigov.policy.checks.wellformed import NOT_AN_OBJECT
from aigov.policy.render import RenderedPolicy, minify, render_text
from aigov.policy.types import POLICY_TYPES
from aigov.spec.load import SafeLoader, validate_spec
from aigov.spec.model import PolicyRef, Spec

if TYPE_CHECKING:
    from aigov.policy.bundle import Bundle, Rendered


def lint_document(doc: PolicyDoc, quota: dict[str, Any] | None = None) -> list[Finding]:
    """Every document check of ``doc.type``, plus its size quota."""
    if not isinstance(doc.document, dict):
        return [doc.at("POLICY_MALFORMED", NOT_AN_OBJECT, path=())]
    out: list[Finding] = []
    for rule in registry.document_rules(doc.type):
        out.extend(rule.check(doc))
    out.extend(quotas.check_policy_size(doc, quota or quotas.load_quotas()))
    return out


def parse_document(text: str, policy_type: str, *, file: str = "", name: str = "",
                   ) -> tuple[PolicyDoc | None, list[Finding]]:
    """Parse policy JSON; a syntax error is a ``POLICY_NOT_JSON`` finding with its place."""
    try:
        document = load_json(text, file)
    except json.JSONDecodeError as exc:
        return None, [finding("POLICY_NOT_JSON", f"not valid JSON: {exc.msg}", file=file,
                              line=exc.lineno, column=exc.colno)]
    except InputError as exc:
        return None, [input_finding(exc, file)]
    return PolicyDoc(document=document, type=policy_type, file=file, name=name,
                     text=minify(document), lines=json_lines(text)), []


# InputError.kind -> the policy finding code (each an input error: exit 2).
INPUT_CODES = {"too_large": "POLICY_TOO_LARGE", "not_utf8": "POLICY_NOT_UTF8",
               "duplicate_key": "POLICY_DUPLICATE_KEY", "too_deep": "POLICY_TOO_DEEP",
               "nan": "POLICY_NAN", "control": "POLICY_CONTROL_CHARACTER"}


def input_finding(exc: InputError, file: str) -> Finding:
    """A policy file refused by ``aigov.inputs`` as a finding with its line."""
    return finding(INPUT_CODES.get(exc.kind, "POLICY_NOT_JSON"), exc.message,
                   file=exc.file or file, fix=exc.fix, line=exc.line)


def _template_finding(exc: PolicySyntaxError, file: str) -> Finding:
    m = re.search(r"line (\d+)", exc.location or "")
    return finding("POLICY_TEMPLATE_ERROR", exc.message, file=exc.file or file,
                   line=int(m.group(1)) if m else None)


def render_for_lint(spec: Spec, policy: PolicyRef, text: Rendered | None = None,
                    ) -> tuple[PolicyDoc | None, list[Finding]]:
    """One of the spec's policies as a ``PolicyDoc`` (or the findings why not); ``text``
    is the template's outcome already rendered (``Bundle.texts``), else it renders here."""
    file = str(spec.policy_path(policy))
    if text is None:
        try:
            text = render_text(spec, policy)
        except (PolicySyntaxError, InputError) as exc:
            text = exc
    if isinstance(text, PolicySyntaxError):
        return None, [_template_finding(text, file)]
    if isinstance(text, InputError):
        return None, [input_finding(text, file)]
    return parse_document(text, policy.type, file=file, name=policy.name)


def lint_loaded_spec(spec: Spec, file: str = "") -> tuple[dict[str, PolicyDoc], list[Finding]]:
    """Lint a valid spec (a bundle of its own): see ``lint_bundle``."""
    from aigov.policy.bundle import Bundle

    return lint_bundle(Bundle(spec), file)


def lint_bundle(bundle: Bundle, file: str | None = None,
                ) -> tuple[dict[str, PolicyDoc], list[Finding]]:
    """Lint every policy of a bundle, each from the text the bundle rendered once, and
    the spec-wide rules; return the documents (by policy name, for display) and the
    findings, with the spec's ``lint:`` overrides. ``Bundle.findings`` keeps the answer."""
    spec = bundle.spec
    file = bundle.file if file is None else file
    quota = quotas.load_quotas(spec.quotas)
    docs: dict[str, PolicyDoc] = {}
    found: list[Finding] = []
    for policy in spec.policies:
        doc, errs = render_for_lint(spec, policy, bundle.texts[policy.name])
        found.extend(errs)
        if doc is not None:
            docs[policy.name] = doc
            found.extend(lint_document(doc, quota))
    if len(docs) == len(spec.policies):
        rendered = {n: rendered_policy(d, spec.policy(n)) for n, d in docs.items()}
        found.extend(quotas.check_attachments_per_target(spec, rendered, quota, file))
        by_file = {d.file: d for d in docs.values()}
        for rule in registry.spec_rules():
            found.extend(_with_line(f, by_file) for f in rule.check(spec, rendered, file))
    if file:
        lines = _spec_lines(spec, file)
        found = [replace(f, location={**f.location, "line": lines[f.location["key"]]})
                 if f.file == file and "line" not in f.location
                 and f.location.get("key") in lines else f for f in found]
    return docs, apply_overrides(found, _checked_overrides(spec.lint, file))


def _spec_lines(spec: Spec, file: str) -> dict[str, int]:
    """Line of each level in the spec: an OU's or account's entry, or, for a level whose
    FullAWSAccess is detached, its ``detach_from`` entry (where the decision was made)."""
    try:
        root = yaml.compose(Path(file).read_text(encoding="utf-8"), Loader=SafeLoader)
    except (OSError, yaml.YAMLError):
        return {}
    out: dict[str, int] = {}

    def get(node: Any, key: str) -> Any:
        if isinstance(node, yaml.MappingNode):
            return next((v for k, v in node.value if k.value == key), None)
        return None

    def ous(node: Any, parent: str) -> None:
        for item in node.value if isinstance(node, yaml.SequenceNode) else []:
            name = get(item, "name")
            if isinstance(name, yaml.ScalarNode):
                path = f"{parent}/{name.value}" if parent else name.value
                out[path] = name.start_mark.line + 1
                ous(get(item, "children"), path)

    ous(get(root, "organizational_units"), "")
    accounts = get(root, "accounts")
    for item in accounts.value if isinstance(accounts, yaml.SequenceNode) else []:
        name, ident = get(item, "name"), get(item, "id")
        if isinstance(name, yaml.ScalarNode):
            line = name.start_mark.line + 1
            out.setdefault(f"account:{name.value}", line)
            if isinstance(ident, yaml.ScalarNode):  # the key of an account whose name repeats
                out[f"account:{ident.value}"] = line
    detach = get(get(get(root, "organization"), "full_aws_access"), "detach_from")
    for item in detach.value if isinstance(detach, yaml.SequenceNode) else []:
        try:
            out[spec.normalize_target(str(item.value))] = item.start_mark.line + 1
        except KeyError:
            continue
    return out


def _checked_overrides(overrides: dict[str, Any], file: str = "") -> dict[str, Any]:
    """The spec's ``lint:`` key, or a SpecError naming what is wrong with it."""
    levels = [s.value for s in Severity]
    unknown = set(overrides) - {"severity", "ignore"}
    sev = overrides.get("severity") or {}
    ignore = overrides.get("ignore") or []
    problems = [f"unknown key lint.{k}" for k in sorted(unknown)]
    if not isinstance(sev, dict):
        problems.append("lint.severity must map codes to error, warning or suggestion")
    else:
        problems += [f"lint.severity.{c}: unknown code" for c in sev if c not in code_catalogue()]
        problems += [f"lint.severity.{c}: {v!r} is not one of {levels}"
                     for c, v in sev.items() if v not in levels]
    if not isinstance(ignore, list) or not all(isinstance(i, dict) and "code" in i
                                               for i in ignore):
        problems.append("lint.ignore must be a list of {code: CODE, file: GLOB}")
    else:
        # Bad input is not a matter of taste: plan and apply refuse it whatever lint says.
        named = [*(sev if isinstance(sev, dict) else ()), *(i["code"] for i in ignore)]
        problems += [f"lint: {c} is bad input (exit 2) and cannot be overridden"
                     for c in dict.fromkeys(named)
                     if c in code_catalogue() and code_catalogue()[c].input]
    if problems:
        raise SpecError("; ".join(problems), file=file or None, location="lint",
                        fix="e.g. lint: {severity: {QUOTA_POLICY_SIZE_NEAR: warning}, "
                        "ignore: [{code: SCP_ALLOW_LIST_BESIDE_FULL_ACCESS, file: '*seed*'}]}")
    return overrides


def _with_line(f: Finding, by_file: dict[str, PolicyDoc]) -> Finding:
    """Give a spec-wide finding about a statement the line of that statement."""
    doc = by_file.get(f.file)
    if doc is None or "statement" not in f.location or "line" in f.location:
        return f
    path = (*doc.statement_path(f.location["statement"]), f.location.get("element"))
    line = doc.line(path if path[-1] else path[:-1])
    return replace(f, location={**f.location, "line": line}) if line else f


def rendered_policy(doc: PolicyDoc, policy: PolicyRef | None) -> RenderedPolicy:
    return RenderedPolicy(name=doc.name, type=doc.type, file=doc.file, document=doc.document,
                          text=doc.text, description=policy.description if policy else "")


def lint_spec(spec_path: str | Path | None = None) -> list[Finding]:
    """``aigov lint``: every finding for the spec and the policies it references. An
    invalid spec is findings too (not an exception), so this one takes a path."""
    spec, found = validate_spec(spec_path)
    if spec is None:
        return found
    return [*found, *lint_valid_spec(spec)]


def lint_valid_spec(spec: Spec) -> list[Finding]:
    """The findings of every policy of a spec ``validate_spec`` accepted."""
    from aigov.policy.bundle import Bundle

    return Bundle(spec).findings


_TEMPLATE_TAG = re.compile(r"\{[{%#]")


def lint_policy_file(path: str | Path, policy_type: str) -> list[Finding]:
    """Lint one policy document alone (pre-commit hooks, editors).

    A jinja2 template (a file with ``{{``, ``{%`` or ``{#``) is rendered first with the
    default spec's parameters, and the policy's own when the spec references this file.
    """
    if policy_type not in POLICY_TYPES:
        raise UsageError(f"unknown policy type {policy_type!r}",
                         fix=f"use one of {', '.join(POLICY_TYPES)}")
    p = resolve(path)
    try:
        text = read_text(p, "policy")
    except OSError as exc:
        raise UsageError(f"cannot read the policy: {exc.strerror}", file=str(p),
                         fix="give the path of a policy document (JSON)") from None
    except InputError as exc:
        return [input_finding(exc, str(p))]
    if _TEMPLATE_TAG.search(text):
        spec, policy = _spec_for_template(p, policy_type)
        try:
            text = render_text(spec, policy)
        except PolicySyntaxError as exc:
            return [_template_finding(exc, str(p))]
    doc, found = parse_document(text, policy_type, file=str(p), name=p.name)
    if doc is None:
        return found
    return lint_document(doc)


def _spec_for_template(path: Path, policy_type: str) -> tuple[Spec, PolicyRef]:
    """The default spec (for its parameters) and the policy that uses ``path``, or a
    stand-alone reference to it when no policy of the spec does."""
    spec, _ = validate_spec(None)
    if spec is None:
        spec = Spec(source=path.parent / "organization.yaml")
    for policy in spec.policies:
        if spec.policy_path(policy) == path:
            return spec, policy
    # A file outside the spec's folder renders confined to its own folder, with the
    # spec's parameters.
    alone = Spec(source=path.parent / "organization.yaml", parameters=spec.parameters)
    return alone, PolicyRef(name=path.name, type=policy_type, file=path.name)
