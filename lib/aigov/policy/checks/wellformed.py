"""What makes an SCP or RCP malformed: one list of checks for ``aigov lint`` and for
the simulator, so a document lint calls an error is one the simulator refuses too.

The checks are the grammar (``grammar.py``) and the values (``values.py``); the
catalogue and lockout checks are about meaning, not form, and stay in lint alone.
Contract: docs/contracts/lint-and-simulate.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from aigov.findings import Finding, Severity
from aigov.policy.checks import grammar, values
from aigov.policy.checks.document import PolicyDoc
from aigov.policy.types import RCP, SCP

DocCheck = Callable[[PolicyDoc], Iterator[Finding]]


def form_checks(policy_type: str) -> list[DocCheck]:
    """The grammar and value checks of an IAM-language policy type."""
    common: list[DocCheck] = [grammar.check_version, grammar.check_structure,
                              values.check_condition_values, values.check_set_operators,
                              values.check_resource_variables]
    own = {SCP: [grammar.check_scp_grammar], RCP: [grammar.check_rcp_grammar]}
    return [*common, *own.get(policy_type, [])]


def form_errors(document: object, policy_type: str, name: str = "") -> list[Finding]:
    """The error-severity findings of ``form_checks`` for one document."""
    doc = PolicyDoc(document=document, type=policy_type, name=name)
    if not isinstance(document, dict):
        return [doc.at("POLICY_MALFORMED", "a policy document must be a JSON object")]
    return [f for check in form_checks(policy_type) for f in check(doc)
            if f.severity == Severity.ERROR]
