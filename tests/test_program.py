"""The Pulumi program's resource graph against the spec.

These tests run the program under Pulumi's own mocks (``pulumi.runtime.set_mocks``,
through ``aigov.deploy.graph``): the CLI and its engine cannot be installed here, and the
mocks receive the same registration requests the engine would. The adoption test reads a
real moto server through ``discover``.
"""

from __future__ import annotations

import runpy
from pathlib import Path
from typing import Any

import pytest

import aigov.deploy
from aigov.deploy.adopt import adoption, import_ids
from aigov.deploy.graph import capture, resource_graph
from aigov.deploy.program import TYPES
from aigov.org.discover import discover
from aigov.paths import default_spec
from aigov.policy.render import render_spec
from aigov.spec import load_spec
from aigov.spec.model import PolicyRef, Spec
from aigov.target.clients import clients
from aigov.target.emulator import Emulator
from helpers.specs import accounts_over, business_units

ROOT_REF = "${organization.roots[0].id}"


def ref(name: str) -> str:
    return f"${{{name}.id}}"


def synthetic_spec(top: int = 20, per: int = 9, n_accounts: int = 1000) -> Spec:
    """``top`` business units of ``per`` teams each (200 OUs by default), accounts spread
    over the teams, an allow-list SCP on every business unit and one on Root."""
    ous, teams = business_units(top, per)
    accounts = accounts_over(teams, n_accounts)
    policies = (
        PolicyRef(name="bu-allow-list", type="SERVICE_CONTROL_POLICY",
                  file="scp/seed_ai_model_development.json",
                  targets=tuple(f"BU{i:02d}" for i in range(top))),
        PolicyRef(name="root-allow-list", type="SERVICE_CONTROL_POLICY",
                  file="scp/seed_ai_model_development.json", description="at Root",
                  targets=("Root", "acct-0000")),
    )
    return Spec(organizational_units=ous, accounts=accounts, policies=policies,
                source=default_spec())


def expected_graph(spec: Spec) -> dict[str, tuple[str, dict[str, Any], str | None, set[str]]]:
    """What the spec says Pulumi must manage: name -> (type, inputs, parent, dependencies).

    Written from the spec alone (not from the program), with the naming scheme the
    program's docstring documents.
    """
    rendered = render_spec(spec)
    out: dict[str, tuple[str, dict[str, Any], str | None, set[str]]] = {
        "organization": (TYPES["organization"], {
            "featureSet": spec.organization.feature_set,
            "enabledPolicyTypes": sorted(spec.organization.enabled_policy_types)}, None, set())}

    def target(key: str) -> tuple[str, str]:
        if key == "Root":
            return ROOT_REF, "organization"
        name = key if key.startswith("account:") else f"ou:{key}"
        return ref(name), name

    for path, ou in spec.walk_ous():
        parent = path.rpartition("/")[0] or "Root"
        pid, pres = target(parent)
        out[f"ou:{path}"] = (TYPES["ou"], {"name": ou.name, "parentId": pid}, pres, {pres})
    for acct in spec.accounts:
        pid, pres = target(spec.normalize_target(acct.ou))
        out[f"account:{acct.name}"] = (TYPES["account"], {
            "name": acct.name, "email": acct.email, "parentId": pid}, "organization", {pres})
    for pol in spec.policies:
        inputs = {"name": pol.name, "type": pol.type, "content": rendered[pol.name].text}
        if pol.description:
            inputs["description"] = pol.description
        out[f"policy:{pol.name}"] = (TYPES["policy"], inputs, "organization", {"organization"})
        for t in pol.targets:
            key = spec.normalize_target(t)
            tid, tres = target(key)
            out[f"attach:{pol.name}->{key}"] = (TYPES["attachment"], {
                "policyId": ref(f"policy:{pol.name}"), "targetId": tid},
                f"policy:{pol.name}", {f"policy:{pol.name}", tres})
    return out


def actual_graph(spec: Spec, **kwargs: Any) -> dict[str, tuple[str, dict[str, Any], str | None, set[str]]]:
    return {n.name: (n.type, n.inputs, n.parent, set(n.dependencies))
            for n in resource_graph(spec, **kwargs).nodes}


def test_starter_spec_graph_equals_the_spec_one_to_one() -> None:
    spec = load_spec()
    assert actual_graph(spec) == expected_graph(spec)


def test_bedrock_policy_is_a_bedrock_policy_resource_attached_at_the_ai_ou() -> None:
    """Under Pulumi's mocks: the starter spec's Bedrock policy is an
    ``aws:organizations/policy:Policy`` of type BEDROCK_POLICY (pulumi_aws lists the type)
    with the rendered document, attached at AI; the type is enabled on the organization."""
    graph = actual_graph(load_spec())
    typ, inputs, _, _ = graph["policy:ai-bedrock-guardrails"]
    assert typ == "aws:organizations/policy:Policy" and inputs["type"] == "BEDROCK_POLICY"
    assert "guardrail_inference" in inputs["content"]
    _, attach, _, _ = graph["attach:ai-bedrock-guardrails->AI"]
    assert attach == {"policyId": ref("policy:ai-bedrock-guardrails"), "targetId": ref("ou:AI")}
    assert "BEDROCK_POLICY" in graph["organization"][1]["enabledPolicyTypes"]


@pytest.mark.slow
def test_graph_of_200_ous_and_1000_accounts_equals_the_spec() -> None:
    spec = synthetic_spec()
    assert len(spec.ou_paths()) == 200 and len(spec.accounts) == 1000
    got = actual_graph(spec)
    assert len(got) == 1 + 200 + 1000 + 2 + 22
    assert got == expected_graph(spec)


def test_organization_is_protected_and_retained_but_children_are_not_protected() -> None:
    graph = resource_graph(load_spec()).by_name()
    org = graph["organization"]
    assert org.protect and org.retain_on_delete
    assert "awsServiceAccessPrincipals" in org.ignore_changes
    others = [n for name, n in graph.items()
              if name != "organization" and not name.startswith("account:")]
    assert others and not any(n.protect for n in others)


def test_accounts_are_retained_on_delete_and_policies_are_not() -> None:
    graph = resource_graph(load_spec()).nodes
    accounts = [n for n in graph if n.type == TYPES["account"]]
    policies = [n for n in graph if n.type == TYPES["policy"]]
    assert accounts and all(n.retain_on_delete for n in accounts)
    assert all("roleName" in n.ignore_changes for n in accounts)
    assert policies and not any(n.retain_on_delete for n in policies)


def test_logical_names_and_inputs_are_stable_across_runs() -> None:
    spec = load_spec()
    assert resource_graph(spec).to_json() == resource_graph(spec).to_json()


def test_fullawsaccess_is_never_a_resource() -> None:
    names = {n.name for n in resource_graph(load_spec()).nodes}
    assert not any("FullAWSAccess" in name for name in names)


def test_import_ids_given_as_a_mapping_reach_the_resources() -> None:
    graph = resource_graph(load_spec(), imports={"organization": "o-abcdefghij",
                                                 "ou:AI": "ou-abcd-11111111"}).by_name()
    assert graph["organization"].import_id == "o-abcdefghij"
    assert graph["ou:AI"].import_id == "ou-abcd-11111111"
    assert graph["ou:AI/Development"].import_id is None
    # An imported parent's id flows into its children's inputs.
    assert graph["ou:AI/Development"].inputs["parentId"] == "ou-abcd-11111111"


@pytest.fixture(scope="module")
def adopted_org(moto_server: Emulator) -> Any:
    """A live organization on a real moto server holding part of the starter spec."""
    moto_server.reset()
    c = clients(moto_server.url).writable()
    org = c.organizations
    org.create_organization(FeatureSet="ALL")
    root = org.list_roots()["Roots"][0]["Id"]
    org.enable_policy_type(RootId=root, PolicyType="SERVICE_CONTROL_POLICY")
    ai = org.create_organizational_unit(ParentId=root, Name="AI")["OrganizationalUnit"]
    dev = org.create_organizational_unit(ParentId=ai["Id"],
                                         Name="Development")["OrganizationalUnit"]
    spec = load_spec()
    rendered = render_spec(spec)
    seed = rendered["ai-model-dev-policy"]
    pol = org.create_policy(Name=seed.name, Type=seed.type, Content=seed.text,
                            Description="old description")["Policy"]["PolicySummary"]
    org.attach_policy(PolicyId=pol["Id"], TargetId=dev["Id"])
    inv = discover(c)
    return spec, rendered, inv, {"ai": ai["Id"], "dev": dev["Id"], "policy": pol["Id"],
                                "root": root, "url": moto_server.url}


@pytest.mark.slow
def test_import_ids_are_mapped_from_the_discovered_inventory(adopted_org: Any) -> None:
    spec, rendered, inv, ids = adopted_org
    adopted = adoption(spec, rendered, inv)
    graph = resource_graph(spec, rendered, imports=import_ids(adopted)).by_name()
    assert graph["organization"].import_id == inv.organization_id
    assert graph["ou:AI"].import_id == ids["ai"]
    assert graph["ou:AI/Development"].import_id == ids["dev"]
    assert graph["policy:ai-model-dev-policy"].import_id == ids["policy"]
    assert (graph["attach:ai-model-dev-policy->AI/Development"].import_id
            == f"{ids['dev']}:{ids['policy']}")
    # What does not exist yet is created, not imported.
    assert graph["ou:Security"].import_id is None
    assert graph["account:ai-dev"].import_id is None
    # FullAWSAccess exists in the live org but is never adopted.
    assert not any("FullAWSAccess" in name for name in adopted)


def test_adopt_only_declares_existing_resources_with_their_live_inputs(adopted_org: Any) -> None:
    spec, rendered, inv, ids = adopted_org
    graph = resource_graph(spec, rendered, imports=adoption(spec, rendered, inv),
                           adopt_only=True).by_name()
    assert set(graph) == {"organization", "ou:AI", "ou:AI/Development",
                          "policy:ai-model-dev-policy",
                          "attach:ai-model-dev-policy->AI/Development"}
    assert all(n.import_id for n in graph.values())
    assert graph["organization"].inputs["enabledPolicyTypes"] == ["SERVICE_CONTROL_POLICY"]
    assert graph["policy:ai-model-dev-policy"].inputs["description"] == "old description"
    assert graph["ou:AI/Development"].inputs["parentId"] == ids["ai"]
    assert "tags" not in graph["ou:AI"].ignore_changes  # discovery reads them: adopted as they are


MAIN = str(Path(aigov.deploy.__file__).with_name("__main__.py"))


def run_main() -> None:
    runpy.run_path(MAIN, run_name="__main__")


@pytest.mark.slow
def test_the_cli_entry_point_declares_the_same_graph_as_the_driver(
        adopted_org: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """What `pulumi up` runs through Pulumi.yaml (lib/aigov/deploy/__main__.py); it reads
    the live organization for the types to keep enabled (here the spec's own)."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", adopted_org[3]["url"])
    cli = capture(run_main,
                  config={"aigov:spec": str(default_spec()), "aigov:adopt": "false"})
    assert cli.to_json() == resource_graph(load_spec()).to_json()


@pytest.mark.slow
def test_the_cli_entry_point_adopts_what_discovery_finds(
        adopted_org: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    spec, rendered, inv, ids = adopted_org
    monkeypatch.setenv("AWS_ENDPOINT_URL", ids["url"])
    cli = capture(run_main,
                  config={"aigov:spec": str(default_spec()), "aigov:adopt": "true"})
    assert {n.name: n.import_id for n in cli.nodes} == {
        "organization": inv.organization_id, "ou:AI": ids["ai"], "ou:AI/Development": ids["dev"],
        "policy:ai-model-dev-policy": ids["policy"],
        "attach:ai-model-dev-policy->AI/Development": f"{ids['dev']}:{ids['policy']}"}


def test_adopt_only_declares_managed_resources_as_they_are_without_importing_them(
        adopted_org: Any) -> None:
    """The organization is already in the stack; a hand-made OU is not: the adopt-only
    update imports the OU and declares the organization with its live inputs, unimported."""
    from dataclasses import replace

    spec, rendered, inv, ids = adopted_org
    found = adoption(spec, rendered, inv)
    pending = {name: replace(a, import_=name != "organization") for name, a in found.items()}
    graph = resource_graph(spec, rendered, imports=pending, adopt_only=True).by_name()
    assert graph["organization"].import_id is None
    assert graph["organization"].inputs["enabledPolicyTypes"] == ["SERVICE_CONTROL_POLICY"]
    assert graph["ou:AI"].import_id == ids["ai"]
    assert graph["ou:AI"].parent == "organization"


def test_urns_the_driver_targets_follow_the_programs_parent_chain() -> None:
    """``program.urn`` (what the adoption update targets) against the URNs built from the
    parents each resource actually registered with."""
    from aigov.deploy.program import urn

    graph = resource_graph(load_spec())
    assert all(n.urn == urn("offline", n.name) for n in graph.nodes)
    assert urn("aws", "attach:deny-leave-organization->Root") == (
        "urn:pulumi:aws::aigov::aws:organizations/organization:Organization"
        "$aws:organizations/policy:Policy$aws:organizations/policyAttachment:PolicyAttachment"
        "::attach:deny-leave-organization->Root")


def test_a_live_policy_type_the_spec_does_not_list_stays_enabled() -> None:
    """Pulumi's mocks: the provider would call DisablePolicyType for a type dropped from
    enabled_policy_types (AWS then detaches every policy of that type); the program
    declares the union of the spec's and the live types."""
    spec = load_spec()
    graph = resource_graph(spec, live_types={"BACKUP_POLICY", "SERVICE_CONTROL_POLICY"})
    declared = graph.by_name()["organization"].inputs["enabledPolicyTypes"]
    assert "BACKUP_POLICY" in declared
    assert set(spec.organization.enabled_policy_types) <= set(declared)


@pytest.mark.slow
def test_the_cli_entry_point_keeps_live_policy_types(
        adopted_org: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Pulumi's mocks running Pulumi.yaml's program against an organization that has
    BACKUP_POLICY enabled, which the spec does not list."""
    ids = adopted_org[3]
    org = clients(ids["url"]).writable().organizations
    org.enable_policy_type(RootId=ids["root"], PolicyType="BACKUP_POLICY")
    try:
        monkeypatch.setenv("AWS_ENDPOINT_URL", ids["url"])
        cli = capture(run_main,
                      config={"aigov:spec": str(default_spec()), "aigov:adopt": "false"})
    finally:
        org.disable_policy_type(RootId=ids["root"], PolicyType="BACKUP_POLICY")
    assert "BACKUP_POLICY" in cli.by_name()["organization"].inputs["enabledPolicyTypes"]


def test_accounts_are_protected_and_retained() -> None:
    """Pulumi's mocks: every Account registers with protect (Pulumi refuses to delete or
    replace it) and retain-on-delete (never closed by Pulumi)."""
    accounts = [n for n in resource_graph(load_spec()).nodes if n.type.endswith(":Account")]
    assert accounts and all(n.protect and n.retain_on_delete for n in accounts)


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)


ARGS = {"Organization": "OrganizationArgs", "OrganizationalUnit": "OrganizationalUnitArgs",
        "Account": "AccountArgs", "Policy": "PolicyArgs",
        "PolicyAttachment": "PolicyAttachmentArgs"}


def test_every_input_and_ignored_property_is_an_argument_of_pulumi_aws(
        adopted_org: Any) -> None:
    """Pulumi's mocks accept any input, so a misspelled argument would pass every other
    test: each registered input and ignore_changes name must be a parameter of the
    provider's own ``*Args.__init__`` (pulumi_aws.organizations), and every required one
    must be given, in the full program and in the adopt-only one."""
    import inspect

    from pulumi_aws import organizations as aws_org

    spec, rendered, inv, _ids = adopted_org
    graphs = [resource_graph(spec, rendered, live_types={"BACKUP_POLICY"}),
              resource_graph(spec, rendered, imports=adoption(spec, rendered, inv),
                             adopt_only=True)]
    for node in (n for g in graphs for n in g.nodes):
        params = inspect.signature(getattr(aws_org, ARGS[node.type.rsplit(":", 1)[-1]])
                                   .__init__).parameters
        allowed = set(params) - {"self", "__self__"}
        required = {p for p, v in params.items() if v.default is inspect.Parameter.empty
                    and p not in ("self", "__self__")}
        given = {_snake(k) for k in node.inputs}
        assert given <= allowed, (node.name, given - allowed)
        assert required <= given, (node.name, required - given)
        assert {_snake(k) for k in node.ignore_changes} <= allowed, node.name


def _documented_import_id(module: str) -> str:
    """The example id of ``pulumi import`` in the installed provider's own docstring."""
    import importlib
    import inspect
    import re

    source = inspect.getsource(importlib.import_module(f"pulumi_aws.organizations.{module}"))
    return re.search(r"\$ pulumi import \S+ example (\S+)", source).group(1)


def _id_kind(value: str) -> str:
    return "account" if value.isdigit() and len(value) == 12 else value.split("-", 1)[0]


def test_import_ids_follow_the_providers_documented_formats(adopted_org: Any) -> None:
    """organization o-..., OU ou-..., account 12 digits, policy p-..., attachment
    <target id>:<policy id> (the ``pulumi import`` examples of pulumi_aws itself)."""
    spec, rendered, inv, _ids = adopted_org
    modules = {"Organization": "organization", "OrganizationalUnit": "organizational_unit",
               "Account": "account", "Policy": "policy",
               "PolicyAttachment": "policy_attachment"}
    graph = resource_graph(spec, rendered, imports=import_ids(adoption(spec, rendered, inv)))
    imported = [n for n in graph.nodes if n.import_id]
    assert {n.type.rsplit(":", 1)[-1] for n in imported} >= {
        "Organization", "OrganizationalUnit", "Policy", "PolicyAttachment"}
    for node in imported:
        documented = _documented_import_id(modules[node.type.rsplit(":", 1)[-1]])
        ours, theirs = node.import_id.split(":"), documented.split(":")
        assert len(ours) == len(theirs), (node.name, node.import_id, documented)
        assert _id_kind(ours[-1]) == _id_kind(theirs[-1]), (node.name, node.import_id)
        if len(ours) == 2:  # <target id>:<policy id>; the target is a root, OU or account
            assert _id_kind(ours[0]) in ("r", "ou", "account")
