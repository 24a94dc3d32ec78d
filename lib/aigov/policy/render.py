"""Render the spec's policy templates into the documents sent to AWS.

Every policy file is a jinja2 template (plain JSON is a template without tags) rendered
with the spec's ``parameters`` overlaid by the policy's own. Undefined variables are
errors (``StrictUndefined``), values render as JSON (``{{ allowed_regions | tojson }}``),
and the output is parsed, key-sorted and minified so the same spec always produces the
same bytes: what AWS stores, what drift compares and what a quota counts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from aigov.errors import PolicySyntaxError
from aigov.spec.model import PolicyRef, Spec

FULL_AWS_ACCESS_NAME = "FullAWSAccess"
FULL_AWS_ACCESS = {"Version": "2012-10-17",
                   "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
RCP_FULL_AWS_ACCESS_NAME = "RCPFullAWSAccess"
RCP_FULL_AWS_ACCESS = {"Version": "2012-10-17",
                       "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*",
                                      "Resource": "*"}]}


@dataclass(frozen=True)
class RenderedPolicy:
    """A policy as AWS will store it. ``text`` is the minified JSON sent to the API."""

    name: str
    type: str
    file: str
    document: dict[str, Any]
    text: str
    description: str = ""
    aws_managed: bool = False

    @property
    def size(self) -> int:
        """Characters as AWS counts them for the policy size quota (the minified text)."""
        return len(self.text)


def minify(document: Any) -> str:
    """Deterministic, minified JSON (sorted keys) of a policy document."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@cache
def _environment(base: Path) -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(base)),
                             undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                             autoescape=False)
    env.filters["tojson"] = _tojson
    return env


def _tojson(value: Any) -> str:
    """``| tojson``; an undefined variable raises jinja2's UndefinedError (with its name)
    rather than json's TypeError, so the error names the template line."""
    if isinstance(value, jinja2.Undefined):
        value._fail_with_undefined_error()
    return json.dumps(value, sort_keys=True)


def render_text(spec: Spec, policy: PolicyRef) -> str:
    """Render one policy template to text; errors name the file and line."""
    path = spec.policy_path(policy)
    base = path.parent
    values = {**spec.parameters, **policy.parameters}
    try:
        template = _environment(base).get_template(path.name)
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
    except jinja2.TemplateNotFound:
        raise PolicySyntaxError(f"policy {policy.name!r}: file not found", file=str(path),
                                fix="create it or correct `file:` in the spec") from None


def _template_line(exc: BaseException) -> str | None:
    """The template line jinja2 was rendering when it raised (its traceback rewrites
    frames to point at the template file)."""
    tb, line = exc.__traceback__, None
    while tb is not None:
        if not tb.tb_frame.f_code.co_filename.endswith(".py"):
            line = tb.tb_lineno
        tb = tb.tb_next
    return f"line {line}" if line else None


def render_policy(spec: Spec, policy: PolicyRef) -> RenderedPolicy:
    text = render_text(spec, policy)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PolicySyntaxError(f"policy {policy.name!r} does not render to JSON: {exc.msg}",
                                file=str(spec.policy_path(policy)),
                                location=f"line {exc.lineno} column {exc.colno} (rendered)",
                                fix="check commas and quotes; render values with | tojson") from None
    return RenderedPolicy(name=policy.name, type=policy.type, file=str(spec.policy_path(policy)),
                          document=document, text=minify(document),
                          description=policy.description)


def render_spec(spec: Spec) -> dict[str, RenderedPolicy]:
    """Render every policy of the spec, keyed by policy name, in spec order."""
    return {p.name: render_policy(spec, p) for p in spec.policies}


def full_aws_access() -> RenderedPolicy:
    return RenderedPolicy(FULL_AWS_ACCESS_NAME, "SERVICE_CONTROL_POLICY", "(AWS managed)",
                          FULL_AWS_ACCESS, minify(FULL_AWS_ACCESS), aws_managed=True,
                          description="Allows access to every operation")


def rcp_full_aws_access() -> RenderedPolicy:
    return RenderedPolicy(RCP_FULL_AWS_ACCESS_NAME, "RESOURCE_CONTROL_POLICY", "(AWS managed)",
                          RCP_FULL_AWS_ACCESS, minify(RCP_FULL_AWS_ACCESS), aws_managed=True,
                          description="Allows access to every resource")


def attached(spec: Spec, rendered: dict[str, RenderedPolicy], level: str,
             policy_type: str) -> list[RenderedPolicy]:
    """Policies of ``policy_type`` attached directly at ``level`` (a canonical target key),
    including the AWS-managed FullAWSAccess (SCPs, unless detached) and RCPFullAWSAccess
    (RCPs: AWS attaches it everywhere and it cannot be detached)."""
    out: list[RenderedPolicy] = []
    if policy_type == "SERVICE_CONTROL_POLICY" and spec.full_aws_access_at(level):
        out.append(full_aws_access())
    if policy_type == "RESOURCE_CONTROL_POLICY":
        out.append(rcp_full_aws_access())
    out.extend(rendered[p.name] for p in spec.policies_at(level) if p.type == policy_type)
    return out
