"""aigov lint: the shipped library, one file alone, spec-wide quotas, overrides, the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aigov.cli import main
from aigov.errors import UsageError
from aigov.findings import Severity, catalogue, exit_code
from aigov.policy.lint import lint_document, lint_policy_file, lint_spec, parse_document

FIX = Path(__file__).parent / "fixtures" / "lint"
REPO = Path(__file__).resolve().parents[1]
SCP = "SERVICE_CONTROL_POLICY"


def codes(found) -> set[str]:
    return {f.code for f in found}


def test_shipped_library_lints_with_no_errors():
    found = lint_spec(REPO / "policies" / "organization.yaml")
    assert [f for f in found if f.severity is Severity.ERROR] == []
    assert exit_code(found) == 0


def test_policy_file_that_is_not_json_is_a_finding_with_line_and_column():
    found = lint_policy_file(FIX / "not_json.json", SCP)
    assert codes(found) == {"POLICY_NOT_JSON"}
    assert found[0].location == {"line": 5, "column": 3}
    assert exit_code(found) == 1


def test_missing_policy_file_is_a_usage_error():
    with pytest.raises(UsageError):
        lint_policy_file(FIX / "no_such_file.json", SCP)


def test_unknown_policy_type_is_a_usage_error():
    with pytest.raises(UsageError):
        lint_policy_file(FIX / "scp_with_principal.json", "CHATBOT_POLICY")


def test_finding_locates_statement_element_and_line():
    (f,) = [f for f in lint_policy_file(FIX / "scp_with_principal.json", SCP)
            if f.code == "SCP_PRINCIPAL"]
    assert f.location == {"statement": 0, "element": "Principal", "line": 6}


def test_template_with_undefined_parameter_is_a_finding_naming_file_and_line():
    found = lint_policy_file(FIX / "undefined_parameter.json.j2", SCP)
    assert codes(found) == {"POLICY_TEMPLATE_ERROR"}
    assert found[0].file.endswith("undefined_parameter.json.j2")
    assert found[0].location["line"] == 5
    assert exit_code(found) == 2


def test_spec_template_error_is_reported_not_raised():
    found = lint_spec(FIX / "template_error" / "organization.yaml")
    assert "POLICY_TEMPLATE_ERROR" in codes(found)


def test_rcp_full_aws_access_counts_toward_rcps_per_target():
    found = lint_spec(FIX / "too_many_rcps" / "organization.yaml")
    (f,) = [f for f in found if f.code == "QUOTA_POLICIES_PER_TARGET"]
    assert f.location == {"key": "Root"}


def test_spec_quotas_override_the_default_size_quota():
    found = lint_spec(FIX / "quota_override" / "organization.yaml")
    assert "QUOTA_POLICY_SIZE" in codes(found)


def test_spec_lint_overrides_change_severity_and_ignore(tmp_path):
    src = (FIX / "quota_override" / "organization.yaml").read_text()
    (tmp_path / "scp").mkdir()
    (tmp_path / "scp" / "deny_s3.json").write_text(
        (FIX / "quota_override" / "scp" / "deny_s3.json").read_text())
    (tmp_path / "organization.yaml").write_text(
        src + "lint:\n  severity: {QUOTA_POLICY_SIZE: warning}\n")
    found = lint_spec(tmp_path / "organization.yaml")
    assert {(f.code, f.severity) for f in found} >= {("QUOTA_POLICY_SIZE", Severity.WARNING)}
    (tmp_path / "organization.yaml").write_text(
        src + "lint:\n  ignore: [{code: QUOTA_POLICY_SIZE, file: '*deny_s3.json'}]\n")
    assert "QUOTA_POLICY_SIZE" not in codes(lint_spec(tmp_path / "organization.yaml"))


def test_cli_lint_json_prints_design_shape_and_exits_1_on_errors(capsys):
    rc = main(["lint", "--policy", str(FIX / "rcp_allow.json"), "--type",
               "RESOURCE_CONTROL_POLICY", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 1
    assert {"RCP_ALLOW", "RCP_PRINCIPAL", "RCP_UNSUPPORTED_SERVICE"} <= {f["code"] for f in out}
    first = out[0]
    assert set(first) >= {"code", "severity", "file", "location", "message"}
    assert first["location"]["statement"] == 0


def test_cli_lint_missing_policy_file_exits_2():
    assert main(["lint", "--policy", str(FIX / "absent.json"), "--type", SCP]) == 2


def _lint_catalogue() -> dict:
    import yaml

    return yaml.safe_load((REPO / "lib" / "aigov" / "codes" / "lint.yaml").read_text())


def test_every_lint_code_has_severity_title_and_fix():
    for code, info in _lint_catalogue().items():
        assert info["severity"] in ("error", "warning", "suggestion"), code
        assert info["title"] and info["fix"], code
        assert catalogue()[code].severity.value == info["severity"]


def test_every_code_the_checks_emit_is_in_the_lint_catalogue():
    import re

    from aigov.policy.types import POLICY_TYPES

    sources = [*(REPO / "lib" / "aigov" / "policy" / "checks").glob("*.py"),
               REPO / "lib" / "aigov" / "policy" / "lint.py"]
    emitted = {c for src in sources
               for c in re.findall(r'"([A-Z][A-Z0-9]*_[A-Z0-9_]+)"', src.read_text())
               if c not in POLICY_TYPES}
    assert len(emitted) > 30
    assert emitted <= set(_lint_catalogue())



WORDS = st.sampled_from(["Version", "Statement", "Effect", "Action", "NotAction", "Resource",
                         "Principal", "Condition", "Null", "Bool", "StringLike", "aws:TagKeys",
                         "Deny", "Allow", "*", "s3:*", "sagemaker:Create*", "services", "tags",
                         "tag_key", "@@assign", "opt_out_policy", "default", "x"])
DOCS = st.recursive(st.one_of(WORDS, st.booleans(), st.integers(), st.none()),
                    lambda inner: st.one_of(st.lists(inner, max_size=3),
                                            st.dictionaries(WORDS, inner, max_size=4)),
                    max_leaves=25)


@settings(max_examples=150, deadline=None)
@given(DOCS, st.sampled_from(["SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY",
                              "AISERVICES_OPT_OUT_POLICY", "TAG_POLICY"]))
@pytest.mark.slow
def test_any_json_document_gives_findings_never_a_crash(document, ptype):
    doc, found = parse_document(json.dumps(document, indent=1), ptype, file="fuzz.json")
    assert found == [] and doc is not None
    assert all(f.code in catalogue() for f in lint_document(doc))


@pytest.mark.parametrize("lint", ["{severity: {QUOTA_POLICY_SIZE: fatal}}",
                                  "{severity: {NO_SUCH_CODE: warning}}",
                                  "{ignore: [QUOTA_POLICY_SIZE]}"])
def test_malformed_lint_overrides_are_a_spec_error(tmp_path, lint):
    from aigov.errors import SpecError

    (tmp_path / "scp").mkdir()
    (tmp_path / "scp" / "deny_s3.json").write_text(
        (FIX / "quota_override" / "scp" / "deny_s3.json").read_text())
    (tmp_path / "organization.yaml").write_text(
        (FIX / "quota_override" / "organization.yaml").read_text() + f"lint: {lint}\n")
    with pytest.raises(SpecError):
        lint_spec(tmp_path / "organization.yaml")
