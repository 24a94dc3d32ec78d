"""Notebook 04_simulate as the runner executes it (papermill): it records the policy
tests' counts and stops the run on an unmet expectation, so nothing reaches 05_deploy."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import papermill as pm
import pytest

from conftest import ROOT

pytestmark = pytest.mark.slow  # end-to-end: runs notebooks or the whole runbook

ORG = Path(__file__).parent / "fixtures" / "simulate" / "org"


def run(spec: Path, run_dir: Path) -> None:
    pm.execute_notebook(str(ROOT / "notebooks/04_simulate.ipynb"), str(run_dir / "out.ipynb"),
                        parameters={"spec": str(spec), "run_dir": str(run_dir)},
                        cwd=str(ROOT), kernel_name="python3", progress_bar=False)


def test_unmet_expectation_fails_the_notebook_and_records_counts(tmp_path: Path) -> None:
    org = tmp_path / "org"
    shutil.copytree(ORG, org)
    cases = org / "tests" / "cases.yaml"
    cases.write_text(cases.read_text().replace("expect: deny", "expect: allow", 1))
    with pytest.raises(pm.PapermillExecutionError) as info:
        run(org / "organization.yaml", tmp_path)
    assert "ChecksFailed" in str(info.value) and "members cannot leave" in str(info.value)
    results = json.loads((tmp_path / "results" / "04_simulate.json").read_text())
    assert (results["policy_tests_passed"], results["policy_tests_failed"]) == (4, 1)
    assert results["status"] == "failed"


def test_passing_expectations_record_counts_and_matrix_size(tmp_path: Path) -> None:
    run(ORG / "organization.yaml", tmp_path)
    results = json.loads((tmp_path / "results" / "04_simulate.json").read_text())
    assert (results["policy_tests_passed"], results["policy_tests_failed"]) == (5, 0)
    # Root, 3 OUs, 4 accounts, and the management account named in the spec.
    assert (results["matrix_targets"], results["matrix_scenarios"]) == (9, 5)


REFUTED = """\
- name: members cannot leave, stated for the wrong action
  targets: [Workloads]
  expect: always-denied
  principal: "arn:aws:iam::${account}:role/admin"
  action: organizations:DeleteOrganization
- name: members cannot leave
  targets: [Root]
  expect: always-denied
  principal: "arn:aws:iam::${account}:role/admin"
  action: organizations:LeaveOrganization
"""


@pytest.mark.slow
def test_refuted_property_fails_the_notebook_and_records_counts(tmp_path: Path) -> None:
    org = tmp_path / "org"
    shutil.copytree(ORG, org)
    (org / "properties").mkdir()
    (org / "properties" / "leave.yaml").write_text(REFUTED)
    with pytest.raises(pm.PapermillExecutionError) as info:
        run(org / "organization.yaml", tmp_path)
    assert "ChecksFailed" in str(info.value) and "stated for the wrong action" in str(info.value)
    results = json.loads((tmp_path / "results" / "04_simulate.json").read_text())
    assert (results["properties_proven"], results["properties_refuted"]) == (1, 1)
    assert results["policy_tests_failed"] == 0 and results["status"] == "failed"
