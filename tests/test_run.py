"""The runner and its records: `aigov run` twice on the emulator, then `aigov verify`.

Two full runs are shared by the module (each takes tens of seconds): the first builds the
organization, the second adopts it, plans nothing and links to the first.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aigov.cli import main
from aigov.org.discover import discover
from aigov.runbook.params import coerce_cli_value
from aigov.runbook.record import MANIFEST, list_runs
from aigov.target.clients import clients
from conftest import FIXTURES, run_cli

pytestmark = pytest.mark.slow  # end-to-end: runs notebooks or the whole runbook

MUTATING = ("01_organization", "02_organizational_units")


_aigov = run_cli


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    outputs = tmp_path_factory.mktemp("outputs")
    first = _aigov("run", outputs=outputs)
    second = _aigov("run", outputs=outputs)
    return outputs, first, second


def _manifests(outputs: Path) -> list[dict]:
    return [json.loads((p / MANIFEST).read_text()) for p in list_runs(outputs / "runs")]


def test_run_succeeds_and_records_every_notebook(two_runs):
    outputs, first, _ = two_runs
    assert first.returncode == 0, first.stderr[-3000:]
    manifest = _manifests(outputs)[0]
    assert manifest["status"] == "succeeded"
    assert all(nb["status"] == "succeeded" for nb in manifest["notebooks"])
    run_dir = list_runs(outputs / "runs")[0]
    for nb in manifest["notebooks"]:
        assert (run_dir / f"{nb['name']}.ipynb").is_file()
        assert (run_dir / f"{nb['name']}.html").is_file()
    assert manifest["notebooks"][1]["results"]["changes_applied"] > 0
    assert "policies/organization.yaml" in manifest["inputs"]
    assert manifest["tools"]["papermill"] and manifest["git"]["commit"]


def test_second_run_plans_nothing_and_links_to_the_first(two_runs):
    outputs, _, second = two_runs
    assert second.returncode == 0, second.stderr[-3000:]
    first, later = _manifests(outputs)
    for nb in later["notebooks"]:
        if nb["name"] in MUTATING:
            assert nb["results"]["changes_planned"] == 0, nb
    assert later["previous"]["run_id"] == first["run_id"]


def _listed(nb: dict) -> int:
    """How often a notebook read the tree (one ListRoots per discovery)."""
    return (nb["results"].get("api_calls_by_operation") or {}).get(
        "organizations.ListRoots", 0)


def test_notebooks_of_a_run_share_one_discovery_until_something_writes(two_runs):
    """org/shared.py: the second run changes nothing, so 00's discovery answers every
    later notebook; in the first, 06 reads what 05 discovered after its last write."""
    outputs, _, second = two_runs
    assert second.returncode == 0, second.stderr[-3000:]
    first, later = _manifests(outputs)
    assert [_listed(nb) for nb in later["notebooks"]] == [1, 0, 0, 0, 0, 0, 0]
    by_name = {nb["name"]: nb for nb in first["notebooks"]}
    assert by_name["06_audit"]["results"]["api_calls"] == 0
    assert _listed(by_name["05_deploy"]) == 1  # after its writes; its plan read 02's


def test_progress_names_each_notebook(two_runs):
    _, first, _ = two_runs
    assert "[1/" in first.stderr and "00_preflight succeeded" in first.stderr


def test_verify_passes_then_names_the_changed_byte(two_runs, tmp_path):
    outputs, _, _ = two_runs
    assert _aigov("verify", outputs=outputs).returncode == 0
    # Tamper with a copy so the other tests keep a clean record.
    import shutil

    copy = tmp_path / "outputs"
    shutil.copytree(outputs / "runs", copy / "runs")
    run_dir = list_runs(copy / "runs")[0]
    nb = run_dir / "01_organization.ipynb"
    data = bytearray(nb.read_bytes())
    data[-10] = ord("x") if data[-10] != ord("x") else ord("y")
    nb.write_bytes(bytes(data))
    result = _aigov("verify", outputs=copy)
    assert result.returncode == 1
    assert "01_organization.ipynb" in result.stdout
    assert _aigov("verify", str(list_runs(copy / "runs")[1]), outputs=copy).returncode == 0


def test_unknown_parameter_exits_2_before_any_record(outputs, capsys):
    assert main(["run", "-p", "enginee=direct"]) == 2
    assert "unknown parameter 'enginee'" in capsys.readouterr().err
    assert not (outputs / "runs").exists()


def test_parameter_of_wrong_type_exits_2(outputs, capsys):
    assert main(["run", "-p", "approve=maybe"]) == 2
    assert "approve" in capsys.readouterr().err


def test_malformed_parameter_exits_2(outputs, capsys):
    assert main(["run", "-p", "approve"]) == 2
    assert "KEY=VALUE" in capsys.readouterr().err


def test_unknown_profile_exits_2_listing_the_profiles(outputs, capsys):
    assert main(["run", "--profile", "nope"]) == 2
    assert "emulator" in capsys.readouterr().err


def test_bad_spec_exits_2_and_creates_nothing_in_the_emulator(outputs, emulator, capsys):
    bad = FIXTURES / "spec" / "duplicate_ou.yaml"
    assert main(["run", "--endpoint-url", emulator.url, "-p", f"spec={bad}"]) == 2
    assert "SPEC_DUPLICATE_OU" in capsys.readouterr().err
    assert not discover(clients(emulator.url)).exists
    assert not (outputs / "runs").exists()


@pytest.mark.parametrize(("raw", "value"), [("1.10", "1.10"), ("true", True), ("7", 7),
                                            ("direct", "direct"), ("0.5", 0.5)])
def test_cli_values_keep_version_like_strings(raw, value):
    assert coerce_cli_value(raw) == value


def test_run_output_is_quiet_about_the_kernel_transport(two_runs):
    """ipykernel's TCP transport warning and papermill's shutdown interrupt are not the
    notebook's business; `aigov run` prints neither (issue: one warning per notebook)."""
    _, first, _ = two_runs
    output = first.stdout + first.stderr
    assert "without encryption" not in output
    assert "KeyboardInterrupt caught" not in output
