"""What `aigov import` cannot write into the spec, and imports with no organization.

A separate module from test_import.py: these use fresh emulators, and moto's backends
are process-wide, so they must not run while that module's shared organization lives.
"""

from __future__ import annotations

import pytest

from aigov.cli import main
from aigov.spec import load_spec
from aigov.target.clients import clients
from helpers.orgs import build_odd_org, doc


@pytest.mark.slow
def test_what_the_spec_cannot_hold_is_reported_and_commented(emulator, tmp_path, capsys):
    c = clients(emulator.url)
    org = c.writable().organizations
    ids = build_odd_org(org, types=("SERVICE_CONTROL_POLICY",))
    root = ids["root"]
    parent = ids["deep"]  # Prod/Apps: level 2
    # AWS (and the strict emulator) refuse a sixth level: L5 is the deepest there is.
    for level in range(3, 6):
        parent = org.create_organizational_unit(ParentId=parent, Name=f"L{level}")[
            "OrganizationalUnit"]["Id"]
    slash = org.create_organizational_unit(ParentId=root, Name="a/b")["OrganizationalUnit"]["Id"]
    closed = org.create_account(AccountName="old", Email="old@example.com")[
        "CreateAccountStatus"]["AccountId"]
    org.close_account(AccountId=closed)
    scp = org.create_policy(Name="on hidden places", Type="SERVICE_CONTROL_POLICY",
                            Content=doc({"Effect": "Deny", "Action": "s3:DeleteBucket",
                                         "Resource": "*"}), Description="")
    for target in (parent, closed, slash):
        org.attach_policy(PolicyId=scp["Policy"]["PolicySummary"]["Id"], TargetId=target)
    out = tmp_path / "imp"
    assert main(["import", "--endpoint-url", emulator.url, "--out", str(out)]) == 1
    printed = capsys.readouterr().out
    report_codes = [ln.split()[1].rstrip(":") for ln in printed.splitlines()
                    if ln.startswith(("  warning IMPORT_", "  error IMPORT_"))]
    assert sorted(set(report_codes)) == [
        "IMPORT_ACCOUNT_NOT_ACTIVE", "IMPORT_ATTACHMENT_NOT_EXPRESSIBLE",
        "IMPORT_OU_NOT_EXPRESSIBLE"]
    assert report_codes.count("IMPORT_ATTACHMENT_NOT_EXPRESSIBLE") == 2
    text = (out / "organization.yaml").read_text()
    assert "'a/b'" in text and "SUSPENDED" in text
    spec = load_spec(out / "organization.yaml")  # what could be written is a valid spec
    assert "Prod/Apps/L3/L4/L5" in spec.ou_paths()
    assert spec.policy("on hidden places").targets == ("Prod/Apps/L3/L4/L5",)


def test_import_without_an_organization_exits_2(emulator, tmp_path, capsys):
    assert main(["import", "--endpoint-url", emulator.url, "--out", str(tmp_path / "x")]) == 2
    assert "no organization" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()
