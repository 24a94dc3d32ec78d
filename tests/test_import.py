"""`aigov import` on organizations built by hand in the emulator (boto3, not the spec):
the written spec, policy files and baseline round-trip to zero changes."""

from __future__ import annotations

import json
import shutil

import pytest
import yaml

from aigov.cli import main
from aigov.org.discover import discover
from aigov.org.drift import drift
from aigov.org.export import export_inventory, safe_stem, template_text
from aigov.org.importer import import_organization
from aigov.org.inventory import Inventory, PolicyInfo
from aigov.org.plan import build_plan
from aigov.policy.bundle import Bundle
from aigov.policy.render import render_spec
from aigov.policy.simulate import run_policy_tests
from aigov.spec import load_spec
from aigov.target.clients import clients
from helpers.orgs import build_odd_org

READS = ("List", "Describe", "Get")


def _count_calls(c) -> list[str]:
    """Every operation the clients send (botocore's before-call event)."""
    calls: list[str] = []
    for client in (c.organizations, c.sts):
        client.meta.events.register("before-call.*.*", lambda model, **_: calls.append(
            model.name))
    return calls


@pytest.fixture(scope="module")
def odd_org(moto_server, tmp_path_factory):
    """One hand-built organization and its import, shared by the module's tests."""
    moto_server.reset()
    c = clients(moto_server.url)
    ids = build_odd_org(c.writable().organizations)
    calls = _count_calls(c)
    out = tmp_path_factory.mktemp("import") / "imported"
    report = import_organization(c, out)
    return c, ids, report, out, calls


@pytest.fixture
def odd(odd_org, tmp_path):
    """The shared import, copied so a test may edit its files."""
    c, ids, report, out, calls = odd_org
    copy = tmp_path / "imported"
    shutil.copytree(out, copy)
    return c, ids, report, copy, calls


@pytest.mark.slow
def test_import_makes_read_calls_only(odd):
    *_, calls = odd
    assert calls and all(op.startswith(READS) for op in calls), sorted(set(calls))


def test_imported_spec_plans_no_change_and_has_no_drift(odd):
    c, _ids, report, out, _ = odd
    spec = load_spec(out / "organization.yaml")
    inv = discover(c)
    bundle = Bundle(spec)  # one rendering for the plan and the drift check
    assert build_plan(bundle, inv).empty
    assert drift(bundle, inv) == []
    assert report.exit_code == 0


@pytest.mark.slow
def test_baseline_passes_and_covers_every_level_with_policies(odd):
    _c, _ids, report, out, _ = odd
    result = run_policy_tests(str(out / "organization.yaml"))
    assert result.ok and result.passed == report.baseline_cases > 0
    cases = yaml.safe_load((out / "tests/baseline.yaml").read_text())["cases"]
    targets = {c["target"] for c in cases}
    assert {"Root", "Data Science", "Prod", "Forschung – 研究", "ds one", "prod-app",
            "sandbox"} <= targets
    assert "Data Science/Team A (ml)" not in targets  # nothing of its own: decides as its parent
    decisions = {c["expect"] for c in cases}
    assert decisions == {"allow", "deny"}
    # one allowed and one denied request per service the live SCPs name
    denied = {c["action"].split(":")[0] for c in cases if "denied somewhere" in c["name"]}
    assert {"s3", "bedrock", "ec2"} <= denied


def test_every_policy_file_renders_to_the_live_document(odd):
    c, _ids, _report, out, _ = odd
    spec = load_spec(out / "organization.yaml")
    live = {name: p for (_t, name), p in discover(c).policies.items() if not p.aws_managed}
    rendered = render_spec(spec)
    assert set(rendered) == set(live)
    for name, r in rendered.items():
        assert r.document == json.loads(live[name].content), name
        assert r.description == live[name].description


def test_braces_in_live_content_stay_literal_and_the_file_stays_json(odd):
    *_, out, _ = odd
    text = (out / "scp/require-team-tag.json").read_text()
    assert "{{" not in text and "{%" not in text
    value = json.loads(text)["Statement"][0]["Condition"]["StringNotEquals"]
    assert value == {"aws:RequestTag/team": "{{team}}{%x%}"}


def test_names_that_collide_once_made_safe_get_their_policy_ids(odd):
    _c, ids, _report, out, _ = odd
    files = sorted(p.name for p in (out / "scp").iterdir())
    assert f"deny-s3-public-{ids['p_s3a'].lower()}.json" in files
    assert f"deny-s3-public-{ids['p_s3b'].lower()}.json" in files
    assert f"policy-{ids['p_uni1'].lower()}.json" in files  # 研究ポリシー
    assert f"policy-{ids['p_uni2'].lower()}.json" in files  # 策略
    assert "allow-list.json" in files


@pytest.mark.slow
def test_import_is_deterministic(odd, tmp_path):
    c, _ids, _report, out, _ = odd
    again = import_organization(c, tmp_path / "again").out
    for path in out.rglob("*"):
        if path.is_file():
            assert path.read_bytes() == (again / path.relative_to(out)).read_bytes(), path


def test_spec_records_ids_emails_tags_and_full_aws_access_detachments(odd):
    _c, ids, _report, out, _ = odd
    data = yaml.safe_load((out / "organization.yaml").read_text())
    accounts = {a["id"]: a for a in data["accounts"]}
    assert accounts[ids["acct_ds"]] == {"name": "ds one", "id": ids["acct_ds"],
                                        "email": "dsone@example.com",
                                        "ou": "Data Science/Team A (ml)",
                                        "tags": {"cost-center": "42"}}
    assert accounts["123456789012"]["ou"] == "Root"
    assert data["organizational_units"][0]["tags"] == {"owner": "ds-team"}
    assert data["organization"]["full_aws_access"]["detach_from"] == ["Prod", "prod-app"]
    assert data["organization"]["management_account_id"] == "123456789012"
    pols = {p["name"]: p for p in data["policies"]}
    assert pols["策略"]["targets"] == ["Prod", "sandbox"]
    assert pols["team tag"]["targets"] == ["Data Science", "ds one"]
    assert {p["type"] for p in data["policies"]} == {
        "SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY", "AISERVICES_OPT_OUT_POLICY",
        "TAG_POLICY"}


def test_accounts_sharing_a_name_are_all_imported_and_targeted_by_id(odd):
    """AWS lets account names repeat (CreateAccount's AccountName has no uniqueness
    rule): both "shared" accounts are written with their ids and OUs, the policy on one
    of them targets its id, and nothing is reported as not expressible."""
    _c, ids, report, out, _ = odd
    data = yaml.safe_load((out / "organization.yaml").read_text())
    shared = {a["id"]: a["ou"] for a in data["accounts"] if a["name"] == "shared"}
    assert shared == {ids["acct_shared1"]: "Data Science",
                      ids["acct_shared2"]: "Forschung – 研究"}
    pols = {p["name"]: p for p in data["policies"]}
    assert pols["deny-s3-public"]["targets"] == sorted(["ds one", ids["acct_shared2"]])
    assert report.findings == []
    assert "not imported" not in (out / "organization.yaml").read_text()
    spec = load_spec(out / "organization.yaml")
    assert spec.levels(ids["acct_shared2"])[-1] == f"account:{ids['acct_shared2']}"


def test_plan_and_drift_commands_find_nothing_after_importing_shared_names(odd, capsys):
    c, _ids, _report, out, _ = odd
    endpoint = c.organizations.meta.endpoint_url
    spec = str(out / "organization.yaml")
    assert main(["plan", "--spec", spec, "--endpoint-url", endpoint]) == 0
    assert "No changes" in capsys.readouterr().out
    assert main(["drift", "--spec", spec, "--endpoint-url", endpoint]) == 0


def test_a_target_naming_a_shared_account_name_exits_2_with_its_line(odd, capsys):
    c, ids, _report, out, _ = odd
    path = out / "organization.yaml"
    text = path.read_text()
    pinned = f"  - '{ids['acct_shared2']}'\n"  # the deny-s3-public target
    assert text.count(pinned) == 1
    path.write_text(text.replace(pinned, "  - shared\n"))
    line = path.read_text().splitlines().index("  - shared") + 1
    code = main(["plan", "--spec", str(path), "--endpoint-url",
                 c.organizations.meta.endpoint_url])
    captured = capsys.readouterr()
    printed = captured.out + captured.err
    assert code == 2
    assert f"organization.yaml:{line}" in printed and "SPEC_AMBIGUOUS_TARGET" in printed
    assert "use the account id" in printed
    assert ids["acct_shared1"] in printed and ids["acct_shared2"] in printed


@pytest.mark.slow
def test_editing_one_policy_plans_exactly_that_update(odd):
    c, _ids, _report, out, _ = odd
    path = out / "scp/allow-list.json"
    document = json.loads(path.read_text())
    document["Statement"][0]["Action"].append("kms:*")
    path.write_text(json.dumps(document, indent=2))
    spec = load_spec(out / "organization.yaml")
    changes = build_plan(spec, discover(c)).changes
    assert [(ch.action, ch.kind, ch.key) for ch in changes] == [
        ("update", "policy", "allow list")]
    assert changes[0].detail["fields"] == ["content"]
    failed = run_policy_tests(spec).failures()
    assert failed and all("kms" in r.case.action for r in failed)


def test_import_refuses_an_existing_folder_without_force(odd, capsys):
    c, _ids, _report, out, _ = odd
    (out / "notes.md").write_text("mine")
    (out / "scp/allow-list.json").write_text("{}")
    assert main(["import", "--endpoint-url", c.endpoint_url, "--out", str(out)]) == 2
    assert "--force" in capsys.readouterr().err
    assert (out / "scp/allow-list.json").read_text() == "{}"
    assert main(["import", "--endpoint-url", c.endpoint_url, "--out", str(out),
                 "--force"]) == 0
    assert json.loads((out / "scp/allow-list.json").read_text())["Statement"]
    assert (out / "notes.md").read_text() == "mine"


@pytest.mark.slow
def test_cli_import_prints_counts_and_json(odd, tmp_path, capsys):
    c, *_ = odd
    assert main(["import", "--endpoint-url", c.endpoint_url, "--out", str(tmp_path / "j"),
                 "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    counts = {r["kind"]: (r["imported"], r["live"]) for r in data["counts"]}
    assert counts["OUs"] == (5, 5) and counts["accounts"] == (6, 6)  # both "shared" accounts
    assert counts["SERVICE_CONTROL_POLICY policies"] == (6, 6)
    assert data["baseline_cases"] > 0 and "lint_findings" in data


def test_policies_of_a_type_the_spec_does_not_manage_are_reported():
    inv = Inventory(organization_id="o-1", feature_set="ALL", management_account_id="1" * 12,
                    root_id="r-1", enabled_policy_types=frozenset({"CHATBOT_POLICY"}),
                    policies={("CHATBOT_POLICY", "b"): PolicyInfo(
                        "p-1", "b", "CHATBOT_POLICY", "", "{}", False, frozenset({"r-1"}))})
    export = export_inventory(inv)
    assert export.spec["policies"] == [] and export.files == {}
    assert [(f.code, f.location["key"]) for f in export.findings] == [
        ("IMPORT_POLICY_TYPE_UNSUPPORTED", "CHATBOT_POLICY"),
        ("IMPORT_POLICY_TYPE_UNSUPPORTED", "b")]
    assert "attached to Root" in export.findings[1].message


@pytest.mark.parametrize("name, stem", [("Deny S3 / Public", "deny-s3-public"),
                                        ("Zugriff für Prüfer", "zugriff-fur-prufer"),
                                        ("策略", "policy"), ("../../etc", "etc")])
def test_safe_stem_keeps_file_names_inside_their_folder(name, stem):
    assert safe_stem(name) == stem


def test_template_text_escapes_what_jinja2_would_read_as_a_tag():
    content = json.dumps({"Statement": [{"Sid": "x", "Condition": {"StringEquals": {
        "k": "{{a}} {%b%} {#c#} {{{d"}}}]})
    text = template_text(content)
    assert not any(tag in text for tag in ("{{", "{%", "{#"))
    assert json.loads(text) == json.loads(content)


def test_an_import_failing_halfway_leaves_nothing_behind(odd_org, tmp_path, monkeypatch):
    import aigov.policy.lint

    c, *_ = odd_org

    def broken(*_a, **_k):
        raise OSError("disk full")

    monkeypatch.setattr(aigov.policy.lint, "lint_bundle", broken)  # the import lints last
    with pytest.raises(OSError):
        import_organization(c, tmp_path / "half")
    assert list(tmp_path.iterdir()) == []  # neither the folder nor a partial copy


def test_out_that_is_a_file_is_refused_with_exit_2(odd_org, tmp_path, capsys):
    c, *_ = odd_org
    (tmp_path / "f").write_text("x")
    assert main(["import", "--endpoint-url", c.endpoint_url, "--out", str(tmp_path / "f")]) == 2
    assert "is a file" in capsys.readouterr().err


def test_bedrock_policies_get_their_own_folder():
    inv = Inventory(organization_id="o-1", feature_set="ALL", management_account_id="1" * 12,
                    root_id="r-1", enabled_policy_types=frozenset({"BEDROCK_POLICY"}),
                    policies={("BEDROCK_POLICY", "guard"): PolicyInfo(
                        "p-2", "guard", "BEDROCK_POLICY", "d", '{"bedrock": {}}', False,
                        frozenset({"r-1"}))})
    export = export_inventory(inv)
    assert export.spec["organization"]["enabled_policy_types"] == ["BEDROCK_POLICY"]
    assert export.spec["policies"] == [{"name": "guard", "type": "BEDROCK_POLICY",
                                        "file": "bedrock/guard.json", "description": "d",
                                        "targets": ["Root"]}]
    assert export.findings == []


def test_the_pulumi_program_of_an_import_adopts_every_resource(odd):
    """Under Pulumi's own mocks (the Pulumi CLI cannot be installed here): every resource
    the program registers from an imported spec carries the import id of what exists,
    so `pulumi up` adopts and creates nothing."""
    from aigov.deploy.adopt import adoption, import_ids
    from aigov.deploy.graph import resource_graph

    c, _ids, _report, out, _ = odd
    spec = load_spec(out / "organization.yaml")
    rendered = render_spec(spec)
    imports = import_ids(adoption(spec, rendered, discover(c)))
    graph = resource_graph(spec, rendered, imports=imports)
    assert len(graph.nodes) > 20
    assert [n.name for n in graph.nodes if not n.import_id] == []
