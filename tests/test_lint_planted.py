"""`aigov lint` on a spec with one planted defect per check family: each is reported
with its code and location, and the exit code is 1."""

from __future__ import annotations

from pathlib import Path

from aigov.findings import exit_code
from aigov.policy.lint import lint_spec

SPEC = Path(__file__).parent / "fixtures" / "lint" / "planted" / "organization.yaml"


def located(found) -> set[tuple]:
    return {(f.code, Path(f.file).name, f.location.get("statement"), f.location.get("element"),
             f.location.get("line"), f.location.get("key")) for f in found}


def test_every_planted_defect_is_reported_with_code_and_location():
    found = lint_spec(SPEC)
    assert located(found) == {
        ("IAM_UNKNOWN_ACTION", "typos.json", 0, "Action", 7, None),
        ("IAM_UNKNOWN_SERVICE", "typos.json", 0, "Action", 7, None),
        ("IAM_UNKNOWN_CONDITION_KEY", "typos.json", 1, "Condition", 17, None),
        ("IAM_CONDITION_KEY_NOT_CARRIED", "typos.json", 1, "Condition", 17, None),
        ("SCP_PRINCIPAL", "typos.json", 1, "Principal", 14, None),
        ("LOCKOUT_DENY_ALL_NO_BREAK_GLASS", "region_deny_all.json.j2", 0, "Action", 6, None),
        ("LOCKOUT_REGION_DENY_NO_GLOBAL_EXEMPTIONS", "region_deny_all.json.j2", 0, "Action", 6, None),
        ("RCP_ALLOW", "allow.json", 0, "Effect", 1, None),
        ("OPTOUT_BAD_VALUE", "bad_value.json", None, None, 1, "services.default.opt_out_policy.@@assign"),
        ("TAG_KEY_MISMATCH", "mismatch.json", None, None, 1, "tags.project.tag_key"),
        ("LOCKOUT_SENTINEL_DENIED", "organization.yaml", None, None, 5, "Quarantine"),
        # the Region deny without exemptions also denies IAM in us-east-1 at AI: the
        # finding sits at the statement that denies
        ("LOCKOUT_SENTINEL_DENIED", "region_deny_all.json.j2", 0, "Effect", 5, "AI"),
        ("SCP_ALLOW_LIST_BESIDE_FULL_ACCESS", "allow_list.json", 0, "Effect", 1, "AI"),
    }
    assert exit_code(found) == 1
