"""Ask one question of the organization: may this request be made from this target?

The single-request path that ``aigov simulate --target ...`` and the onboarding
playground share: check the request (``request_check``), decide it with ``OrgModel`` (the
engine of ``aigov test-policies``), explain the decision (``explain``). A wildcard action
(``sagemaker:*``) is expanded against the IAM catalogue and each matching action is
decided, so the answer says how many are denied and by what.

``context_help`` lists the condition keys that the target's policies test for this action,
with the request's value and a realistic value for a principal of this organization: a
normal S3 read is denied by a data perimeter until the request carries the organization's
keys, and a newcomer should not have to guess them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from aigov.errors import PolicySyntaxError, UsageError
from aigov.policy.evaluate import Decision
from aigov.policy.explain import Explanation, explain, level_name
from aigov.policy.parse import parse_policy
from aigov.policy.render import RenderedPolicy, minify
from aigov.policy.request_check import RequestProblem, check_request, expand_action
from aigov.policy.simulate import OrgModel
from aigov.policy.types import AUTHORIZATION_TYPES

REGION_KEY = "aws:RequestedRegion"
# Stands for this organization's id where the spec cannot know it (the live id starts
# with "o-"); a principal and a resource of the same organization share it.
ORG_ID = "o-exampleorgid"


@dataclass(frozen=True)
class Answer:
    """The answer to one request: problems (then no decision), or a decision explained."""

    target: str
    action: str
    resource: str
    context: dict[str, str | list[str]]
    principal: str | None
    problems: tuple[RequestProblem, ...] = ()
    decision: Decision | None = None
    explanation: Explanation | None = None
    # for a wildcard action: each matching catalogue action and its decision
    expanded: tuple[tuple[str, Decision], ...] = field(default=())

    @property
    def state(self) -> str:
        """``check`` (the request is not valid), ``allow``, ``deny`` or ``mixed``."""
        if self.problems:
            return "check"
        if self.expanded:
            kinds = {d.decision for _, d in self.expanded}
            return kinds.pop() if len(kinds) == 1 else "mixed"
        return self.decision.decision if self.decision else "check"

    def wildcard_summary(self) -> str:
        denied = [(a, d) for a, d in self.expanded if not d.allowed]
        by = Counter(_decider(d) for _, d in denied)
        head = f"{len(denied)} of {len(self.expanded)} actions matching {self.action} are denied"
        return head + ("".join(f"\n  {n} by {who}" for who, n in by.most_common()) if by else "")

    def text(self) -> str:
        if self.problems:
            return "CHECK THE REQUEST:\n" + "\n".join(f"  {p.text()}" for p in self.problems)
        if self.expanded:
            return f"{self.state.upper()}: {self.wildcard_summary()}"
        assert self.explanation is not None
        return self.explanation.text()

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"target": self.target, "action": self.action,
                               "resource": self.resource, "context": self.context,
                               "state": self.state}
        if self.principal:
            out["principal"] = self.principal
        if self.problems:
            out["problems"] = [p.to_dict() for p in self.problems]
        if self.explanation is not None:
            out["decision"] = self.decision.decision if self.decision else None
            out["explanation"] = self.explanation.to_dict()
        if self.expanded:
            out["actions"] = [{"action": a, "decision": d.decision, "by": _decider(d)}
                              for a, d in self.expanded]
        return out


def _decider(d: Decision) -> str:
    if d.deny is not None:
        return f"{d.deny.policy} at {level_name(d.deny.level)}"
    if d.missing is not None:
        return f"no Allow at {level_name(d.missing[1])}"
    return "allowed"


def descriptions(model: OrgModel) -> dict[str, str]:
    return {p.name: p.description for p in model.spec.policies}


def ask(model: OrgModel, target: str, action: str, resource: str = "*",
        region: str | None = None, context: Mapping[str, str | Sequence[str]] | None = None,
        principal: str | None = None) -> Answer:
    """Check, decide and explain one request made from ``target``.

    ``region`` is the request's ``aws:RequestedRegion``: the two are one value, so a
    context that names a different Region is a problem, not a silent override.
    """
    action, resource = action.strip(), (resource or "*").strip() or "*"
    ctx: dict[str, str | list[str]] = {k: v if isinstance(v, str) else list(v)
                                       for k, v in (context or {}).items()}
    problems: list[RequestProblem] = []
    given = next((k for k in ctx if k.lower() == REGION_KEY.lower()), None)
    if region:
        if given and ctx[given] != region:
            problems.append(RequestProblem(
                "region", f"the region is {region!r} but the context says {REGION_KEY} is "
                f"{ctx[given]!r}", "keep one: the region field is the request's Region"))
        ctx.pop(given, None) if given else None
        ctx[REGION_KEY] = region
    problems += check_request(action, resource, ctx, principal, region)
    try:
        model.resolve(target)
    except UsageError as exc:
        problems.append(RequestProblem("target", exc.message, exc.fix or ""))
    base = Answer(target=target, action=action, resource=resource, context=ctx,
                  principal=principal or None)
    if problems:
        return replace(base, problems=tuple(problems))
    if any(c in action for c in "*?"):
        names = expand_action(action)
        reqs = [model.request(target, a, resource, ctx, principal) for a in names]
        return replace(base, expanded=tuple(zip(names, model.decide_many(target, reqs),
                                                strict=True)))
    req = model.request(target, action, resource, ctx, principal)
    decision = model.decide(target, req)
    chains = {"SCP": model.chain(target, "SCP"), "RCP": model.chain(target, "RCP")}
    return replace(base, decision=decision,
                   explanation=explain(decision, req, chains, descriptions(model)))


@dataclass(frozen=True)
class KeyHelp:
    """A condition key the target's policies test for an action."""

    key: str
    policies: tuple[str, ...]
    value: str | None  # the request's value, None when absent
    suggested: str | None  # a realistic value for a principal of this organization


def org_defaults(model: OrgModel, target: str) -> dict[str, str]:
    """Context a principal of this organization's ``target`` account really sends."""
    account = model.account_id(target) or "111122223333"
    return {"aws:PrincipalOrgID": ORG_ID, "aws:ResourceOrgID": ORG_ID,
            "aws:PrincipalAccount": account, "aws:ResourceAccount": account,
            "aws:SecureTransport": "true", "aws:PrincipalIsAWSService": "false"}


def context_help(model: OrgModel, target: str, action: str,
                 context: Mapping[str, Any] | None = None) -> list[KeyHelp]:
    """The condition keys of the statements that match ``action`` at every level of
    ``target`` (SCPs and RCPs), with the request's value and a suggestion."""
    context = {k.lower(): v for k, v in (context or {}).items()}
    defaults = {k.lower(): v for k, v in org_defaults(model, target).items()}
    action = action.strip().lower()
    seen: dict[str, tuple[str, list[str]]] = {}
    try:
        chains = [model.chain(target, "SCP"), model.chain(target, "RCP")]
    except UsageError:
        return []
    for chain in chains:
        for level in chain.levels if chain else ():
            for policy in level.policies:
                denies, allows = policy.candidates(action) if action else ((), ())
                for stmt in (*denies, *allows):
                    for cond in stmt.conditions:
                        name, pols = seen.setdefault(cond.key_lower, (cond.key, []))
                        if policy.name not in pols:
                            pols.append(policy.name)
    out = []
    for low, (key, pols) in seen.items():
        got = context.get(low)
        value = None if got is None else (got if isinstance(got, str) else ", ".join(got))
        out.append(KeyHelp(key, tuple(pols), value, defaults.get(low)))
    return out


def with_drafts(rendered: Mapping[str, RenderedPolicy],
                drafts: Mapping[str, Mapping[str, Any]]) -> dict[str, RenderedPolicy]:
    """``rendered`` with some policies' documents replaced by drafts (checked first)."""
    out = dict(rendered)
    for name, document in drafts.items():
        if name not in out:
            raise UsageError(f"unknown policy {name!r} in --draft",
                             fix=f"use one of {', '.join(sorted(out))}")
        try:
            parse_policy(dict(document), name=name, policy_type=out[name].type)
        except PolicySyntaxError:
            if out[name].type in AUTHORIZATION_TYPES:
                raise
        out[name] = replace(out[name], document=dict(document), text=minify(document))
    return out


def parse_context_args(items: Sequence[str]) -> dict[str, str | list[str]]:
    """``-c KEY=VALUE`` items; a key given twice becomes a multivalued key."""
    out: dict[str, str | list[str]] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"-c {item!r} is not KEY=VALUE",
                             fix="e.g. -c aws:SecureTransport=true")
        key = key.strip()
        if key in out:
            prev = out[key]
            out[key] = [*(prev if isinstance(prev, list) else [prev]), value]
        else:
            out[key] = value
    return out


def read_drafts(items: Sequence[str]) -> dict[str, dict[str, Any]]:
    """``--draft NAME=FILE`` items: each file one JSON policy document."""
    import json
    from pathlib import Path

    out: dict[str, dict[str, Any]] = {}
    for item in items:
        name, sep, path = item.partition("=")
        if not sep or not name or not path:
            raise UsageError(f"--draft {item!r} is not POLICY_NAME=FILE",
                             fix="e.g. --draft data-perimeter=draft.json")
        try:
            doc = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"cannot read {path}: {exc}", file=path) from None
        except json.JSONDecodeError as exc:
            raise PolicySyntaxError(f"not JSON: {exc.msg}", file=path,
                                    location=f"line {exc.lineno}",
                                    fix="check commas, quotes and brackets") from None
        if not isinstance(doc, dict):
            raise PolicySyntaxError("a policy is a JSON object", file=path)
        out[name] = doc
    return out


def answer_request(spec: Any = None, *, target: str, action: str, resource: str = "*",
                   region: str | None = None, principal: str | None = None,
                   context: Sequence[str] = (), drafts: Sequence[str] = ()) -> Answer:
    """The CLI's one call: the spec's bundle (``spec``: a path, a spec or a bundle) with
    the drafts in place of the policies they name, then ask."""
    from aigov.policy.simulate import bundle_of

    bundle = bundle_of(spec)
    drafted = read_drafts(drafts)
    model = (bundle.with_drafts(drafted) if drafted else bundle).model()
    return ask(model, target, action, resource, region, parse_context_args(context),
               principal)
