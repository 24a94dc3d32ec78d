"""Render the spec's policy templates into the documents sent to AWS.

Every policy file is a jinja2 template (plain JSON is a template without tags) rendered
with the spec's ``parameters`` overlaid by the policy's own. Undefined variables are
errors (``StrictUndefined``), values render as JSON (``{{ allowed_regions | tojson }}``),
and the output is parsed, key-sorted and minified so the same spec always produces the
same bytes: what AWS stores, what drift compares and what a quota counts.

A template is input from whoever wrote the pull request, rendered beside deploy
credentials: it renders in jinja2's ``ImmutableSandboxedEnvironment`` (no attribute
tricks such as ``__globals__``, no mutation, bounded ``range``), and an ``include`` or
``import`` may only read files inside the policy's folder tree, symlinks followed
(docs/safety.md).
"""

from __future__ import annotations

import contextlib
import json
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

from aigov.errors import PolicySyntaxError
from aigov.inputs import load_json, read_text
from aigov.policy.managed import (  # noqa: F401 - re-exported: render is where callers look
    FULL_AWS_ACCESS,
    FULL_AWS_ACCESS_NAME,
    RCP_FULL_AWS_ACCESS,
    RCP_FULL_AWS_ACCESS_NAME,
    RenderedPolicy,
    aws_managed_at,
    full_aws_access,
    minify,
    rcp_full_aws_access,
)
from aigov.spec.model import PolicyRef, Spec


class TemplateOutsideFolder(jinja2.TemplateError):
    """An ``include``/``import`` that resolves (symlinks followed) outside the folder."""


class _ConfinedLoader(jinja2.FileSystemLoader):
    """jinja2's loader refuses ``..`` in a name; this also refuses a file that a symlink
    takes outside ``root``."""

    def __init__(self, base: Path, root: Path) -> None:
        super().__init__(str(base))
        self.root = root

    def get_source(self, environment: jinja2.Environment, template: str):  # noqa: ANN201
        source, filename, uptodate = super().get_source(environment, template)
        if not Path(filename).resolve().is_relative_to(self.root):
            raise TemplateOutsideFolder(f"{template!r} resolves to {Path(filename).resolve()},"
                                        f" outside {self.root}")
        return source, filename, uptodate


@cache
def _environment(base: Path, root: Path) -> jinja2.Environment:
    env = ImmutableSandboxedEnvironment(loader=_ConfinedLoader(base, root),
                                        undefined=jinja2.StrictUndefined,
                                        keep_trailing_newline=True, autoescape=False)
    env.filters["tojson"] = _tojson
    return env


def confinement_root(spec: Spec) -> Path:
    """The folder a spec's policy files and their includes must stay in: the spec's own."""
    return (spec.source.parent if spec.source else Path.cwd()).resolve()


def check_confined(spec: Spec, policy: PolicyRef) -> Path:
    """The policy's file, refused (exit 2) when it resolves outside the spec's folder:
    a spec from a pull request must not read ``/etc`` or another repository's files."""
    path = spec.policy_path(policy)
    root = confinement_root(spec)
    if not path.is_relative_to(root):
        raise PolicySyntaxError(f"policy {policy.name!r}: file {policy.file!r} resolves to "
                                f"{path}, outside the spec's folder {root}",
                                file=str(spec.source or ""), location=f"policies.{policy.name}.file",
                                fix="keep policy files in the spec's folder tree, as a real "
                                "file (not a symlink out of it)")
    return path


def _tojson(value: Any) -> str:
    """``| tojson``; an undefined variable raises jinja2's UndefinedError (with its name)
    rather than json's TypeError, so the error names the template line."""
    if isinstance(value, jinja2.Undefined):
        value._fail_with_undefined_error()
    return json.dumps(value, sort_keys=True)


def render_text(spec: Spec, policy: PolicyRef) -> str:
    """Render one policy template to text; errors name the file and line.

    The file is checked first (size limit, UTF-8: ``aigov.inputs``), so a binary or
    huge file is an ``InputError`` rather than a decoding traceback inside jinja2."""
    path = check_confined(spec, policy)
    with contextlib.suppress(OSError):  # jinja2's TemplateNotFound below words it
        read_text(path, "policy")
    values = {**spec.parameters, **policy.parameters}
    try:
        template = _environment(path.parent, confinement_root(spec)).get_template(path.name)
        return template.render(**values)
    except jinja2.TemplateSyntaxError as exc:
        raise PolicySyntaxError(f"template syntax error: {exc.message}", file=str(path),
                                location=f"line {exc.lineno}",
                                fix="fix the jinja2 tag at that line") from None
    except jinja2.UndefinedError as exc:
        raise PolicySyntaxError(f"policy {policy.name!r}: {exc.message}", file=str(path),
                                location=_template_line(exc),
                                fix="define the variable under `parameters:` in the spec "
                                "or the policy's own `parameters:`") from None
    except jinja2.TemplateNotFound as exc:
        missing = exc.name if exc.name != path.name else "the file"
        raise PolicySyntaxError(f"policy {policy.name!r}: {missing} not found (templates "
                                "load only from the policy's folder, without '..')",
                                file=str(path), location=_template_line(exc),
                                fix="create it or correct `file:` (or the include) "
                                "in the spec") from None
    except (jinja2.exceptions.SecurityError, TemplateOutsideFolder) as exc:
        raise PolicySyntaxError(f"policy {policy.name!r}: the template is refused: {exc}",
                                file=str(path), location=_template_line(exc),
                                fix="a policy template may only use parameters, filters "
                                "such as | tojson, and includes from its own folder") from None


def _template_line(exc: BaseException) -> str | None:
    """The template line jinja2 was rendering when it raised (its traceback rewrites
    frames to point at the template file)."""
    tb, line = exc.__traceback__, None
    while tb is not None:
        if not tb.tb_frame.f_code.co_filename.endswith(".py"):
            line = tb.tb_lineno
        tb = tb.tb_next
    return f"line {line}" if line else None


def render_policy(spec: Spec, policy: PolicyRef, text: str | None = None) -> RenderedPolicy:
    """One policy as AWS will store it; ``text`` is its template already rendered
    (``Bundle.texts``), else it is rendered here."""
    text = render_text(spec, policy) if text is None else text
    try:
        document = load_json(text, str(spec.policy_path(policy)))
    except json.JSONDecodeError as exc:
        raise PolicySyntaxError(f"policy {policy.name!r} does not render to JSON: {exc.msg}",
                                file=str(spec.policy_path(policy)),
                                location=f"line {exc.lineno} column {exc.colno} (rendered)",
                                fix="check commas and quotes; render values with | tojson") from None
    return RenderedPolicy(name=policy.name, type=policy.type, file=str(spec.policy_path(policy)),
                          document=document, text=minify(document),
                          description=policy.description)


def render_spec(spec: Spec) -> dict[str, RenderedPolicy]:
    """Render every policy of the spec, keyed by policy name, in spec order. For one-off
    callers: a command or notebook reads ``Bundle.rendered`` (policy/bundle.py), rendered
    once for everything it hands the bundle to."""
    return {p.name: render_policy(spec, p) for p in spec.policies}


def attached(spec: Spec, rendered: dict[str, RenderedPolicy], level: str,
             policy_type: str) -> list[RenderedPolicy]:
    """Policies of ``policy_type`` attached directly at ``level`` (a canonical target key),
    including the AWS-managed FullAWSAccess (SCPs, unless detached) and RCPFullAWSAccess
    (RCPs: AWS attaches it everywhere and it cannot be detached)."""
    out = aws_managed_at(policy_type, spec.full_aws_access_at(level))
    out.extend(rendered[p.name] for p in spec.policies_at(level) if p.type == policy_type)
    return out


