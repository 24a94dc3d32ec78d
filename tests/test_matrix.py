"""The access matrix: targets x scenarios -> decisions as a DataFrame."""

from __future__ import annotations

from pathlib import Path

import pytest

from aigov.paths import default_spec
from aigov.policy.matrix import (
    Scenario,
    access_matrix,
    decisions,
    default_targets,
    deny_explanations,
    ineffective_allow_lists,
    scenarios_from_tests,
    style_matrix,
)
from aigov.policy.simulate import OrgModel
from aigov.spec import load_spec

ORG = Path(__file__).parent / "fixtures" / "simulate" / "org" / "organization.yaml"
SCENARIOS = [Scenario("leave", "organizations:LeaveOrganization"),
             Scenario("run ec2", "ec2:RunInstances"),
             Scenario("s3 inside", "s3:GetObject", "arn:aws:s3:::d/k",
                      {"aws:PrincipalOrgID": "o-fixture"})]


@pytest.fixture()
def model() -> OrgModel:
    return OrgModel(load_spec(ORG))


def test_matrix_has_targets_as_rows_and_scenarios_as_columns(model: OrgModel) -> None:
    m = access_matrix(model, scenarios=SCENARIOS)
    assert list(m.columns) == ["leave", "run ec2", "s3 inside"]
    assert list(m.index) == ["Root", "Workloads", "Workloads/Dev", "Restricted",
                             "account:dev-1", "account:dev-2", "account:dev-3", "account:locked",
                             "management"]
    assert m.loc["account:dev-1"].tolist() == ["deny", "allow", "allow"]
    assert m.loc["Restricted"].tolist() == ["deny", "deny", "allow"]
    assert m.loc["management"].tolist() == ["exempt"] * 3


def test_accounts_on_the_same_policy_path_share_one_evaluation(model: OrgModel) -> None:
    """Cache per (effective policy set, request): dev-2 and dev-3 sit in the same OU
    and have no id of their own, so the second costs nothing."""
    decisions(model, ["account:dev-2"], SCENARIOS)
    before = model.evaluator.evaluations
    found = decisions(model, ["account:dev-3"], SCENARIOS)
    assert model.evaluator.evaluations == before
    assert found[("account:dev-3", "leave")].deny.level == "Root"


def test_matrix_policy_work_does_not_grow_with_accounts_on_one_path(model: OrgModel) -> None:
    access_matrix(model, ["account:dev-2"], SCENARIOS)
    before = model.evaluator.policy_evaluations
    access_matrix(model, ["account:dev-2", "account:dev-3"], SCENARIOS)
    assert model.evaluator.policy_evaluations == before


@pytest.mark.parametrize("spec_path", [ORG, default_spec()])
def test_matrix_cells_agree_with_explained_decisions(spec_path: Path) -> None:
    """The vectorized matrix and the per-decision path (with explanations) agree on
    every cell, including the management account's exemptions."""
    model = OrgModel(load_spec(spec_path), management_account="999999999999")
    scenarios = [*SCENARIOS, *scenarios_from_tests(model),
                 Scenario("slr", "s3:GetObject", "arn:aws:s3:::d/k",
                          principal="arn:aws:iam::111122223333:role/aws-service-role/x/Y")]
    targets = default_targets(model)
    frame = access_matrix(model, targets, scenarios)
    found = decisions(model, targets, scenarios)
    for (t, s), d in found.items():
        assert frame.loc[t, s] == ("exempt" if d.basis == "exempt" else d.decision), (t, s)


def test_deny_explanations_name_level_policy_and_statement(model: OrgModel) -> None:
    rows = deny_explanations(model, targets=["Restricted"], scenarios=SCENARIOS)
    by = {r["scenario"]: r for r in rows.to_dict("records")}
    assert (by["leave"]["basis"], by["leave"]["level"], by["leave"]["policy"],
            by["leave"]["statement"]) == ("explicit-deny", "Root", "deny-leave", 0)
    assert (by["run ec2"]["basis"], by["run ec2"]["level"]) == ("implicit-deny", "Restricted")


def test_scenarios_default_to_the_policy_test_cases(model: OrgModel) -> None:
    names = [s.name for s in scenarios_from_tests(model)]
    assert names[0] == "members cannot leave" and len(names) == 5


def test_style_colours_each_decision(model: OrgModel) -> None:
    html = style_matrix(access_matrix(model, scenarios=SCENARIOS)).to_html()
    assert "#ffcdd2" in html and "#c8e6c9" in html and "#e0e0e0" in html


def test_allow_list_beside_full_aws_access_is_reported() -> None:
    """The shipped seed allow-list sits beside FullAWSAccess on AI/Development."""
    rows = ineffective_allow_lists(OrgModel(load_spec(default_spec())))
    assert ("AI/Development", "ai-model-dev-policy") in {
        (r["level"], r["policy"]) for r in rows.to_dict("records")}


def test_allow_list_without_full_aws_access_is_not_reported(model: OrgModel) -> None:
    assert ineffective_allow_lists(model).empty


def test_a_large_matrix_is_summarised_per_level_and_written_whole_as_csv(tmp_path):
    """At 1,000 accounts a styled table of every cell made a 62 MB record: notebook 04
    shows counts per level and writes the full matrix as a CSV data file."""
    import pandas as pd

    from aigov.policy.matrix import MATRIX_CSV, MAX_STYLED_CELLS, matrix_view
    from test_program import synthetic_spec

    spec = synthetic_spec()
    keys = ["Root", *spec.ou_paths(), *(f"account:{a.name}" for a in spec.accounts)]
    cols = [f"s{i}" for i in range(5)]
    frame = pd.DataFrame([["deny" if k == "account:acct-0000" else "allow"] * 5
                          for k in keys], index=keys, columns=cols)
    assert frame.size > MAX_STYLED_CELLS
    shown = matrix_view(frame, spec, tmp_path)
    whole = pd.read_csv(tmp_path / MATRIX_CSV, index_col=0)
    assert whole.shape == frame.shape and whole.loc["account:acct-0000", "s0"] == "deny"
    assert int(shown["targets"].sum()) == len(keys)
    assert int(shown["deny"].sum()) == 5
    team = spec.normalize_target(spec.accounts[0].ou)
    assert shown.loc[f"{team} (accounts)", "deny"] == 5
    assert len(shown) == 1 + len(spec.ou_paths()) * 2 - 20  # accounts only under teams


def test_a_small_matrix_is_shown_whole(tmp_path):
    import pandas as pd

    from aigov.policy.matrix import MATRIX_CSV, matrix_view
    from aigov.spec import load_spec

    frame = pd.DataFrame([["allow", "deny"]], index=["Root"], columns=["a", "b"])
    styled = matrix_view(frame, load_spec(), tmp_path)
    assert hasattr(styled, "to_html") and not (tmp_path / MATRIX_CSV).exists()
