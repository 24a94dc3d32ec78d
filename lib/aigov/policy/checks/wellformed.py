"""What makes an SCP or RCP malformed: one list of checks for ``aigov lint``, for the
compiler (``policy/parse.py``) and so for the simulator, so a document lint calls an
error is one the simulator refuses too, and the evaluator never compiles a document
the grammar refuses.

The checks are the grammar (``grammar.py``) and the values (``values.py``); the
catalogue and lockout checks are about meaning, not form, and stay in lint alone.
Contract: docs/contracts/lint-and-simulate.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import cache, partial

from aigov.findings import Finding, Severity
from aigov.policy.checks import grammar, values
from aigov.policy.checks.document import PolicyDoc
from aigov.policy.types import RCP, SCP

DocCheck = Callable[[PolicyDoc], Iterator[Finding]]

# Checks whose every code is a warning (tests/test_checks_values.py holds this to the
# catalogue): a caller that wants only errors skips them.
WARNING_ONLY: frozenset[DocCheck] = frozenset({values.check_set_operators,
                                               values.check_resource_variables})
NOT_AN_OBJECT = "a policy must be a JSON object"


def form_checks(policy_type: str) -> list[DocCheck]:
    """The grammar and value checks of an IAM-language policy type, in lint's order."""
    common: list[DocCheck] = [grammar.check_version, grammar.check_structure,
                              values.check_condition_values, values.check_set_operators,
                              values.check_resource_variables]
    own = {SCP: [grammar.check_scp_grammar], RCP: [grammar.check_rcp_grammar]}
    return [*common, *own.get(policy_type, [])]


_IAM_VERSION = partial(grammar.check_version, organizations=False)
_ANY_RCP = partial(grammar.check_rcp_grammar, custom=False)


@cache
def error_checks(policy_type: str, *, custom: bool = True) -> tuple[DocCheck, ...]:
    """The checks that can find an error, structure first (so a document without a
    Statement says so before anything else).

    ``custom`` (a policy someone wrote, as lint and the batch simulator read it): the
    whole of ``form_checks``. Otherwise the rules every document AWS holds follows, its
    own managed policies included (RCPFullAWSAccess allows ``*``, which a custom RCP may
    not): the IAM language, without Organizations' rules for custom policies (Version
    2012-10-17 required, Deny-only RCPs on the services RCPs support).
    """
    checks = [c for c in form_checks(policy_type) if c not in WARNING_ONLY]
    checks.insert(0, checks.pop(checks.index(grammar.check_structure)))
    if custom:
        return tuple(checks)
    swap = {grammar.check_version: _IAM_VERSION, grammar.check_rcp_grammar: _ANY_RCP}
    return tuple(swap.get(c, c) for c in checks)


def first_error(doc: PolicyDoc, *, custom: bool = True) -> Finding | None:
    """The first error ``error_checks`` finds in ``doc``, or ``None``: what the compiler
    refuses a document for."""
    if not isinstance(doc.document, dict):
        return doc.at("POLICY_MALFORMED", NOT_AN_OBJECT, path=())
    for check in error_checks(doc.type, custom=custom):
        for f in check(doc):
            if f.severity == Severity.ERROR:
                return f
    return None


def form_errors(document: object, policy_type: str, name: str = "") -> list[Finding]:
    """The error-severity findings of ``form_checks`` for one document."""
    doc = PolicyDoc(document=document, type=policy_type, name=name)
    if not isinstance(document, dict):
        return [doc.at("POLICY_MALFORMED", NOT_AN_OBJECT, path=())]
    return [f for check in form_checks(policy_type) if check not in WARNING_ONLY
            for f in check(doc) if f.severity == Severity.ERROR]
