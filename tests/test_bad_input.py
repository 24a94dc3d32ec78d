"""Every kind of bad input from issue 13, fed to the CLI: exit 2, located, nothing created.

Each case starts from a valid spec (one OU, one account, one SCP) and breaks one thing,
as a careless or hostile user would. ``aigov lint`` must exit 2 within seconds with a
finding naming the file, the line and the fix; ``aigov plan``, ``aigov apply`` and
``aigov run`` against a real moto server must exit 2 and leave it without an
organization (``run`` before it writes a record). AWS rules behind each case: botocore's
Organizations model (lengths, patterns, enums), the Organizations quotas (2,000 OUs),
EnablePolicyType (all features required), IAM's JSON grammar (no NaN, one Statement).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError

from aigov.cli import main

VALID = """\
organization:
  enabled_policy_types: [SERVICE_CONTROL_POLICY]
organizational_units:
  - name: AI
    tags: {team: ml}
accounts:
  - {name: ai-dev, email: ai-dev@example.com, ou: AI}
policies:
  - {name: allow-all, type: SERVICE_CONTROL_POLICY, file: scp/allow_all.json, targets: [AI]}
"""
POLICY = '{"Version": "2012-10-17",\n "Statement": [{"Effect": "Allow", "Action": "*",' \
         ' "Resource": "*"}]}\n'
BILLION_LAUGHS = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n"
    for i in range(8))


def _swap(old: str, new: str) -> str:
    assert old in VALID
    return VALID.replace(old, new)


def _ous(n: int) -> str:
    return "\n".join(f"  - name: ou{i}" for i in range(n))


# (case id, spec text or bytes, policy text or bytes, finding code, line)
SPECS: list[tuple[str, str | bytes, str | bytes, str, int | None]] = [
    ("spec_in_latin1", VALID.replace("ml", "caf\xe9").encode("latin-1"), POLICY,
     "SPEC_NOT_UTF8", 5),
    ("spec_in_utf16", VALID.encode("utf-16"), POLICY, "SPEC_NOT_UTF8", 1),
    ("spec_binary", bytes(range(256)) * 4, POLICY, "SPEC_NOT_UTF8", 2),
    ("yaml_complex_key", VALID + "? [a, b]\n: 1\n", POLICY, "SPEC_COMPLEX_KEY", 10),
    ("yaml_nested_thousands_deep", VALID + "parameters: {x: " + "[" * 5000 + "]" * 5000
     + "}\n", POLICY, "SPEC_TOO_DEEP", 10),
    ("yaml_alias_bomb", VALID + "parameters:\n" + "".join(
        "  " + line + "\n" for line in BILLION_LAUGHS.splitlines()), POLICY,
     "SPEC_ALIAS_EXPANSION", None),
    ("yaml_recursive_alias", VALID + "parameters: &p {loop: *p}\n", POLICY,
     "SPEC_ALIAS_EXPANSION", 10),
    ("spec_of_50_megabytes", VALID + "# " + "x" * (50 * 1024 * 1024) + "\n", POLICY,
     "SPEC_TOO_LARGE", None),
    ("spec_with_2016_ous", VALID.replace("  - name: AI\n    tags: {team: ml}\n",
                                         "  - name: AI\n" + _ous(2015) + "\n"),
     POLICY, "SPEC_TOO_MANY_OUS", 3),
    ("yaml_duplicate_key", _swap("  - name: AI\n", "  - name: AI\n    name: ML\n"), POLICY,
     "SPEC_DUPLICATE_KEY", 5),
    ("consolidated_billing_with_scps", _swap("organization:\n",
                                             "organization:\n  feature_set: CONSOLIDATED_BILLING\n"),
     POLICY, "SPEC_INVALID_VALUE", 1),
    ("email_ending_in_newline", _swap("ai-dev@example.com", '"ai-dev@example.com\\n"'), POLICY,
     "SPEC_INVALID_EMAIL", 7),
    ("id_ending_in_newline", _swap("ou: AI}", 'ou: AI, id: "111122223333\\n"}'), POLICY,
     "SPEC_INVALID_VALUE", 7),
    ("id_in_arabic_indic_digits", _swap("ou: AI}", "ou: AI, id: '١١١١٢٢٢٢٣٣٣٣'}"), POLICY,
     "SPEC_INVALID_VALUE", 7),
    ("two_accounts_with_one_id", _swap("ou: AI}", "ou: AI, id: '111122223333'}\n  - {name: b, "
                                       "email: b@example.com, id: '111122223333'}"), POLICY,
     "SPEC_DUPLICATE_ACCOUNT", 8),
    ("non_ascii_account_name", _swap("name: ai-dev", "name: ai-dév"), POLICY,
     "SPEC_INVALID_VALUE", 7),
    ("account_named_root", _swap("name: ai-dev", "name: Root"), POLICY, "SPEC_INVALID_VALUE", 7),
    ("account_named_like_an_id", _swap("name: ai-dev", "name: '111122223333'"), POLICY,
     "SPEC_INVALID_VALUE", 7),
    ("management_account_id_of_5_digits", _swap("organization:\n", "organization:\n  "
                                                "management_account_id: '12345'\n"), POLICY,
     "SPEC_INVALID_VALUE", 2),
    ("ou_name_with_control_character", _swap("name: AI\n", 'name: "AI\\a"\n'), POLICY,
     "SPEC_INVALID_VALUE", 4),
    ("policy_name_with_control_character", _swap("name: allow-all", 'name: "allow\\tall"'),
     POLICY, "SPEC_INVALID_VALUE", 9),
    ("tag_key_starting_aws", _swap("{team: ml}", "{'aws:team': ml}"), POLICY,
     "SPEC_INVALID_VALUE", 5),
    ("policy_description_of_513_characters",
     _swap("file: scp/", f"description: {'d' * 513}, file: scp/"), POLICY,
     "SPEC_INVALID_VALUE", 9),
    ("typo_in_quotas", VALID + "quotas: {SERVICE_CONTROL_POLICY: {max_sise: 5120}}\n", POLICY,
     "SPEC_UNKNOWN_KEY", 10),
    ("typo_in_lint", VALID + "lint: {severities: {QUOTA_POLICY_SIZE: warning}}\n", POLICY,
     "SPEC_UNKNOWN_KEY", 10),
    ("custom_scp_named_fullawsaccess", _swap("name: allow-all", "name: FullAWSAccess"), POLICY,
     "SPEC_INVALID_VALUE", 9),
    ("policy_in_latin1", VALID, POLICY.replace("*", "\xe9", 1).encode("latin-1"),
     "POLICY_NOT_UTF8", 2),
    ("policy_in_utf16", VALID, POLICY.encode("utf-16"), "POLICY_NOT_UTF8", 1),
    ("policy_binary", VALID, bytes(range(256)) * 4, "POLICY_NOT_UTF8", 2),
    ("policy_json_nested_thousands_deep", VALID,
     POLICY.replace('"Resource": "*"', '"Resource": ' + "[" * 5000 + "]" * 5000),
     "POLICY_TOO_DEEP", 2),
    ("policy_with_nan", VALID, POLICY.replace('"Resource": "*"', '"Resource": "*",\n'
                                             ' "Condition": {"NumericLessThan": {"x": NaN}}'),
     "POLICY_NAN", 3),
    ("policy_with_duplicate_statement", VALID,
     POLICY.replace("}]}", "}],\n \"Statement\": [{\"Effect\": \"Deny\", \"Action\": "
                    "\"s3:*\", \"Resource\": \"*\"}]}"), "POLICY_DUPLICATE_KEY", 3),
    ("policy_of_a_megabyte", VALID, POLICY + " " * (1024 * 1024), "POLICY_TOO_LARGE", None),
    ("policy_sid_ending_in_newline", VALID, POLICY.replace('{"Effect"', '{"Sid": "AllowAll\\n",'
                                                           ' "Effect"'),
     "POLICY_CONTROL_CHARACTER", 2),
    ("policy_action_with_escaped_nul", VALID, POLICY.replace('"*", "Resource"',
                                                             '"s3:Get\\u0000", "Resource"'),
     "POLICY_CONTROL_CHARACTER", 2),
    ("policy_condition_value_with_a_raw_tab", VALID,
     POLICY.replace('"Resource": "*"', '"Resource": "*",\n "Condition": {"StringEquals": '
                    '{"aws:PrincipalTag/team": "ml\t"}}'), "POLICY_CONTROL_CHARACTER", 3),
]


def _write(folder: Path, spec: str | bytes, policy: str | bytes) -> Path:
    (folder / "scp").mkdir(parents=True, exist_ok=True)
    for path, data in ((folder / "organization.yaml", spec),
                       (folder / "scp" / "allow_all.json", policy)):
        path.write_bytes(data if isinstance(data, bytes) else data.encode())
    return folder / "organization.yaml"


def test_the_valid_spec_of_these_cases_lints_clean(tmp_path, capsys):
    assert main(["lint", "--spec", str(_write(tmp_path, VALID, POLICY))]) == 0


@pytest.mark.parametrize(("spec", "policy", "code", "line"), [c[1:] for c in SPECS],
                         ids=[c[0] for c in SPECS])
def test_bad_input_exits_2_quickly_with_file_line_and_fix(tmp_path, capsys, spec, policy,
                                                          code, line):
    path = _write(tmp_path, spec, policy)
    started = time.monotonic()
    assert main(["lint", "--spec", str(path), "--json"]) == 2
    assert time.monotonic() - started < 10
    found = json.loads(capsys.readouterr().out)
    hit = next(f for f in found if f["code"] == code)
    assert hit["file"].endswith(("organization.yaml", "allow_all.json"))
    if line is not None:
        assert hit["location"].get("line") == line
    assert hit["fix"]
    assert "Traceback" not in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.parametrize(("spec", "policy"), [c[1:3] for c in SPECS], ids=[c[0] for c in SPECS])
def test_bad_input_apply_exits_2_and_creates_nothing(tmp_path, capsys, emulator,
                                                     monkeypatch, spec, policy):
    monkeypatch.setenv("AIGOV_OUTPUTS", str(tmp_path / "outputs"))
    path = _write(tmp_path, spec, policy)
    assert main(["apply", "--spec", str(path), "--engine", "direct", "--yes",
                 "--endpoint-url", emulator.url]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "internal error" not in err
    _no_organization(emulator.url)


def _no_organization(url: str) -> None:
    org = boto3.client("organizations", endpoint_url=url, region_name="us-east-1",
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    with pytest.raises(ClientError, match="AWSOrganizationsNotInUseException"):
        org.describe_organization()


@pytest.mark.slow
@pytest.mark.parametrize(("spec", "policy"), [c[1:3] for c in SPECS], ids=[c[0] for c in SPECS])
def test_bad_input_plan_exits_2_naming_the_file(tmp_path, capsys, emulator, monkeypatch,
                                                spec, policy):
    monkeypatch.setenv("AIGOV_OUTPUTS", str(tmp_path / "outputs"))
    path = _write(tmp_path, spec, policy)
    assert main(["plan", "--spec", str(path), "--engine", "direct",
                 "--endpoint-url", emulator.url]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "internal error" not in err
    assert "organization.yaml" in err or "allow_all.json" in err
    assert "fix:" in err
    _no_organization(emulator.url)


@pytest.mark.slow
@pytest.mark.parametrize(("spec", "policy"), [c[1:3] for c in SPECS], ids=[c[0] for c in SPECS])
def test_bad_input_run_exits_2_before_any_record(tmp_path, capsys, emulator, monkeypatch,
                                                 spec, policy):
    """``aigov run`` reads the spec and renders every policy before a record, a kernel
    or the emulator starts."""
    monkeypatch.setenv("AIGOV_OUTPUTS", str(tmp_path / "outputs"))
    path = _write(tmp_path, spec, policy)
    started = time.monotonic()
    assert main(["run", "--endpoint-url", emulator.url, "-p", f"spec={path}"]) == 2
    assert time.monotonic() - started < 30
    err = capsys.readouterr().err
    assert "Traceback" not in err and "internal error" not in err
    assert "organization.yaml" in err or "allow_all.json" in err
    assert not (tmp_path / "outputs" / "runs").exists()
    _no_organization(emulator.url)


# The inputs that cost time or memory to refuse if refused late: each must stay within a
# few hundred MB (issue 13: a 50 MB spec took 1.6 GB; an alias bomb grew past 1.5 GB).
HEAVY = ("spec_of_50_megabytes", "yaml_alias_bomb", "yaml_nested_thousands_deep",
         "spec_with_2016_ous", "policy_json_nested_thousands_deep", "policy_of_a_megabyte")
MAX_RSS_MB = 400
# VmHWM, not ru_maxrss: Linux keeps ru_maxrss across fork and execve, so a child of a large
# pytest process would report its parent's peak.
_MEASURE = ("import sys\nfrom aigov.cli import main\ncode = main(sys.argv[1:])\n"
            "hwm = [ln for ln in open('/proc/self/status') if ln.startswith('VmHWM:')]\n"
            "print(int(hwm[0].split()[1]) // 1024, file=sys.stderr)\nsys.exit(code)\n")


@pytest.mark.slow
@pytest.mark.parametrize(("spec", "policy"), [c[1:3] for c in SPECS if c[0] in HEAVY],
                         ids=[c[0] for c in SPECS if c[0] in HEAVY])
def test_hostile_inputs_are_refused_within_a_few_hundred_megabytes(tmp_path, spec, policy):
    """``aigov lint`` in its own process: exit 2, and its peak resident memory (the
    interpreter and every import included) under MAX_RSS_MB."""
    path = _write(tmp_path, spec, policy)
    proc = subprocess.run([sys.executable, "-c", _MEASURE, "lint", "--spec", str(path)],
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "AIGOV_OUTPUTS": str(tmp_path / "outputs")})
    assert proc.returncode == 2, proc.stderr[-2000:]
    peak_mb = int(proc.stderr.strip().splitlines()[-1])
    assert peak_mb < MAX_RSS_MB


def test_an_unexpected_exception_is_exit_3_with_one_line_and_no_traceback(
        tmp_path, capsys, monkeypatch):
    import aigov.policy.lint as lint

    monkeypatch.setenv("AIGOV_OUTPUTS", str(tmp_path))
    monkeypatch.delenv("AIGOV_DEBUG", raising=False)
    monkeypatch.setattr(lint, "lint_valid_spec", lambda _: {}["boom"])
    assert main(["lint"]) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "internal error (KeyError)" in err
    assert "Traceback" not in err and "report" in err
    saved = list((tmp_path / "errors").iterdir())
    assert len(saved) == 1 and "KeyError" in saved[0].read_text()
    assert saved[0].stat().st_mode & 0o077 == 0


def test_a_size_limit_is_configurable_and_checked(tmp_path, capsys, monkeypatch):
    path = _write(tmp_path, VALID, POLICY)
    monkeypatch.setenv("AIGOV_MAX_SPEC_BYTES", "100")
    assert main(["lint", "--spec", str(path), "--json"]) == 2
    assert json.loads(capsys.readouterr().out)[0]["code"] == "SPEC_TOO_LARGE"
    monkeypatch.setenv("AIGOV_MAX_SPEC_BYTES", "lots")
    assert main(["lint", "--spec", str(path)]) == 2
    assert "AIGOV_MAX_SPEC_BYTES" in capsys.readouterr().err


@pytest.mark.parametrize("override", ["{severity: {POLICY_CONTROL_CHARACTER: warning}}",
                                      "{ignore: [{code: POLICY_CONTROL_CHARACTER}]}"],
                         ids=["severity", "ignore"])
def test_lint_overrides_cannot_silence_bad_input(tmp_path, capsys, override):
    """A spec's ``lint:`` tunes checks; it cannot make a malformed file acceptable (plan
    and apply would refuse it anyway), so overriding an input code is itself refused."""
    policy = next(c[2] for c in SPECS if c[0] == "policy_sid_ending_in_newline")
    path = _write(tmp_path, VALID + f"lint: {override}\n", policy)
    assert main(["lint", "--spec", str(path)]) == 2
    err = capsys.readouterr().err
    assert "POLICY_CONTROL_CHARACTER" in err and "cannot be overridden" in err
