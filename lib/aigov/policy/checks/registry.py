"""The lint rules, registered in one table (yamllint's ``rules/__init__.py`` idea).

A rule is a check function with its scope: ``document`` rules read one policy document
of the types they name (``check(doc) -> Iterator[Finding]``); ``spec`` rules read the
whole spec with every rendered policy and where it attaches
(``check(spec, rendered, file) -> Iterator[Finding]``). The rule's docstring is its
documentation; the codes it can emit are the ones its source names, each described in
``codes/*.yaml`` (``tests/test_lint_rules.py`` holds both to that). Order is the order
findings are reported in.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

from aigov.findings import Finding
from aigov.policy import lockout as sentinel_lockout
from aigov.policy.checks import (
    assign_grammar,
    bedrock_grammar,
    catalogue,
    lockout,
    wellformed,
)
from aigov.policy.types import AI_OPT_OUT, BEDROCK, POLICY_TYPES, RCP, SCP, TAG

CODE_RE = re.compile(r'"([A-Z][A-Z0-9]*_[A-Z0-9_]+)"')


@dataclass(frozen=True)
class Rule:
    """One lint rule: its check, its scope, and (document rules) the types it reads."""

    check: Callable[..., Iterator[Finding]]
    scope: str                      # document | spec
    types: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        return self.check.__name__.removeprefix("check_")

    @property
    def doc(self) -> str:
        return inspect.getdoc(self.check) or ""

    @property
    def codes(self) -> frozenset[str]:
        """The finding codes the check's source names (policy type names are not codes)."""
        return frozenset(c for c in CODE_RE.findall(inspect.getsource(self.check))
                         if c not in POLICY_TYPES)


def _document(checks: list[Callable[..., Any]], *types: str) -> list[Rule]:
    return [Rule(c, "document", types) for c in checks]


@cache
def rules() -> tuple[Rule, ...]:
    """Every rule, in report order."""
    meaning = [catalogue.check_actions, catalogue.check_condition_keys,
               catalogue.check_condition_keys_carried, catalogue.check_deprecated_condition_keys]
    return (
        *_document(wellformed.form_checks(SCP), SCP),
        *_document(meaning, SCP),
        *_document([lockout.check_deny_all_without_break_glass,
                    lockout.check_region_deny_exemptions], SCP),
        *_document(wellformed.form_checks(RCP), RCP),
        *_document(meaning, RCP),
        *_document([assign_grammar.check_opt_out_grammar], AI_OPT_OUT),
        *_document([assign_grammar.check_tag_grammar], TAG),
        *_document([bedrock_grammar.check_bedrock_grammar], BEDROCK),
        *(Rule(c, "spec") for c in (sentinel_lockout.check_lockout_sentinels,
                                    lockout.check_allow_list_beside_full_access,
                                    bedrock_grammar.check_guardrail_owner)),
    )


@cache
def document_rules(policy_type: str) -> tuple[Rule, ...]:
    """The document rules that read ``policy_type``, in report order."""
    return tuple(r for r in rules() if r.scope == "document" and policy_type in r.types)


def spec_rules() -> tuple[Rule, ...]:
    return tuple(r for r in rules() if r.scope == "spec")
