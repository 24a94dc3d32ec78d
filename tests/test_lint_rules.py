"""The lint rule registry: every rule documented, its codes in the catalogue, the
findings of ``aigov lint`` reported in the registry's order."""

from __future__ import annotations

import json

from aigov.findings import catalogue
from aigov.policy.checks import registry
from aigov.policy.checks.document import PolicyDoc
from aigov.policy.lint import lint_document
from aigov.policy.types import POLICY_TYPES, SCP


def test_every_rule_has_a_docstring_a_scope_and_known_codes():
    known = set(catalogue())
    for rule in registry.rules():
        assert rule.doc, rule.id
        assert rule.scope in ("document", "spec"), rule.id
        assert rule.codes <= known, (rule.id, sorted(rule.codes - known))
        assert set(rule.types) <= set(POLICY_TYPES), rule.id


def test_document_rules_are_registered_for_each_authorization_type_in_order():
    ids = [r.id for r in registry.document_rules(SCP)]
    assert ids[:2] == ["version", "structure"]
    assert ids.index("actions") < ids.index("deny_all_without_break_glass")
    assert {r.scope for r in registry.spec_rules()} == {"spec"}


def test_lint_runs_the_registered_rules_of_the_documents_type():
    """A missing Version is VERSION's finding, and only SCP rules ran."""
    doc = {"Statement": [{"Effect": "Deny", "Action": "s3:*", "Resource": "*"}]}
    found = lint_document(PolicyDoc(doc, SCP, text=json.dumps(doc)))
    codes = {f.code for f in found}
    version_codes = next(r for r in registry.rules() if r.id == "version").codes
    assert codes & version_codes
    assert codes <= set().union(*(r.codes for r in registry.document_rules(SCP)),
                                {"QUOTA_POLICY_SIZE", "QUOTA_POLICY_SIZE_NEAR"})
