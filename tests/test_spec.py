"""Spec validation: every class of bad input is a located finding, before any AWS call.

AWS rules cited: OU names unique per parent and at most five levels of OUs under the
root (Organizations quotas), a unique email per account (CreateAccount), and the four
policy types of EnablePolicyType.
"""

from __future__ import annotations

import pytest

from aigov.cli import main
from aigov.errors import SpecError
from aigov.spec import load_spec, validate_spec
from conftest import FIXTURES

SPECS = FIXTURES / "spec"

BAD = [
    ("yaml_syntax_error", "SPEC_YAML_SYNTAX", 3, None),
    ("unknown_key", "SPEC_UNKNOWN_KEY", 3, "organisational_units"),
    ("wrong_type", "SPEC_WRONG_TYPE", 3, "accounts"),
    ("duplicate_ou", "SPEC_DUPLICATE_OU", 5, "organizational_units[0].children[1].name"),
    ("ou_too_deep", "SPEC_OU_TOO_DEEP", 12, "organizational_units[0].children[0].children[0]"
     ".children[0].children[0].children[0]"),
    ("account_unknown_ou", "SPEC_UNKNOWN_OU", 4, "accounts[0].ou"),
    ("duplicate_account_name", "SPEC_DUPLICATE_ACCOUNT", 3, "accounts[1].name"),
    ("duplicate_account_email", "SPEC_DUPLICATE_ACCOUNT", 3, "accounts[1].email"),
    ("invalid_email", "SPEC_INVALID_EMAIL", 2, "accounts[0].email"),
    ("policy_file_missing", "SPEC_POLICY_FILE_MISSING", 2, "policies[0].file"),
    ("policy_unknown_target", "SPEC_UNKNOWN_TARGET", 4, "policies[0].targets[0]"),
    ("ambiguous_account_target", "SPEC_AMBIGUOUS_TARGET", 9, "policies[0].targets[1]"),
    ("unknown_policy_type", "SPEC_UNKNOWN_POLICY_TYPE", 2, "policies[0].type"),
]


def test_valid_spec_loads_with_ou_paths_and_levels():
    spec = load_spec(SPECS / "valid.yaml")
    assert spec.ou_paths() == ["AI", "AI/Development"]
    assert spec.levels("ai-dev") == ["Root", "AI", "AI/Development", "account:ai-dev"]
    assert [p.name for p in spec.policies_at("account:ai-dev")] == ["allow-all"]


def test_accounts_sharing_a_name_load_when_each_has_an_id():
    """AWS lets account names repeat (CreateAccount's AccountName has no uniqueness
    rule); the spec tells such accounts apart by id, and names the others by name."""
    spec = load_spec(SPECS / "shared_account_name.yaml")
    assert spec.targets()[-3:] == ["account:111111111111", "account:222222222222",
                                   "account:solo"]
    assert spec.normalize_target("222222222222") == "account:222222222222"
    assert spec.levels("111111111111") == ["Root", "AI", "account:111111111111"]
    assert spec.label("account:222222222222") == "shared (222222222222)"
    assert spec.label("account:solo") == "solo"
    assert [p.name for p in spec.policies_at("account:222222222222")] == ["allow-all"]
    assert spec.policies_at("account:111111111111") == []
    with pytest.raises(KeyError, match="use the account id"):
        spec.normalize_target("shared")


def test_ambiguous_account_target_names_the_ids_and_the_fix():
    _, found = validate_spec(SPECS / "ambiguous_account_target.yaml")
    assert [f.code for f in found] == ["SPEC_AMBIGUOUS_TARGET"]
    assert "111111111111, 222222222222" in found[0].message
    assert found[0].fix.startswith("use the account id")


def test_starter_spec_is_valid():
    spec = load_spec()
    assert {"AI/Development", "AI/Staging", "AI/Production", "Security", "Sandbox"} <= set(
        spec.ou_paths())
    assert spec.policy("ai-model-dev-policy").targets == ("AI/Development",)


@pytest.mark.parametrize(("fixture", "code", "line", "key"), BAD, ids=[b[0] for b in BAD])
def test_bad_spec_is_reported_with_code_line_and_key(fixture, code, line, key):
    spec, found = validate_spec(SPECS / f"{fixture}.yaml")
    assert spec is None
    assert found[0].code == code
    assert found[0].location.get("line") == line
    if key:
        assert found[0].location.get("key") == key
    assert found[0].fix


@pytest.mark.parametrize("fixture", [b[0] for b in BAD])
def test_bad_spec_exits_2_from_lint_naming_the_file(fixture, capsys):
    assert main(["lint", "--spec", str(SPECS / f"{fixture}.yaml")]) == 2
    assert f"{fixture}.yaml:" in capsys.readouterr().out


def test_load_spec_raises_spec_error_listing_every_problem():
    with pytest.raises(SpecError) as err:
        load_spec(SPECS / "duplicate_account_email.yaml")
    assert err.value.exit_code == 2
    assert [f.code for f in err.value.findings] == ["SPEC_DUPLICATE_ACCOUNT"]


def test_missing_spec_file_exits_2(tmp_path, capsys):
    assert main(["lint", "--spec", str(tmp_path / "nope.yaml")]) == 2
    assert "SPEC_UNREADABLE" in capsys.readouterr().out
