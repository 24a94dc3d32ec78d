"""The notebooks as committed: no outputs, twins in sync, and nbval runs them all.

nbval runs in a child pytest (it is a collection plugin, so it cannot be invoked on
notebooks from inside this session's collection) with a real emulator's endpoint in the
environment, which the notebooks pick up when ``endpoint_url`` is empty.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import jupytext
import nbformat
import pytest
import yaml

from conftest import ROOT

pytestmark = pytest.mark.slow  # end-to-end: runs notebooks or the whole runbook

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
RUN_ORDER = yaml.safe_load((ROOT / "notebooks/profiles/emulator.yaml").read_text())["notebooks"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_notebook_has_no_outputs(path: Path):
    nb = nbformat.read(path, as_version=4)
    with_outputs = [i for i, c in enumerate(nb.cells)
                    if c.cell_type == "code" and (c.outputs or c.execution_count)]
    assert with_outputs == [], f"strip outputs: jupytext --sync {path.with_suffix('.py')}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_and_its_py_percent_twin_are_in_sync(path: Path):
    twin = path.with_suffix(".py")
    assert twin.is_file(), f"missing twin: jupytext --set-formats ipynb,py:percent {path}"
    ipynb = jupytext.read(path)
    py = jupytext.read(twin)
    assert [(c.cell_type, c.source.strip()) for c in ipynb.cells] == \
        [(c.cell_type, c.source.strip()) for c in py.cells], f"run: jupytext --sync {twin}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_has_a_documented_parameters_cell(path: Path):
    nb = nbformat.read(path, as_version=4)
    cells = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(cells) == 1
    lines = [ln for ln in cells[0].source.splitlines() if ln.strip() and not ln.startswith("#")]
    assert lines and all(":" in ln.split("=")[0] and "#" in ln for ln in lines), \
        "each parameter is annotated and has a help comment"


def test_nbval_runs_the_runbook_notebooks_in_order(emulator, tmp_path):
    env = {**os.environ, **emulator.environment(), "AIGOV_OUTPUTS": str(tmp_path)}
    paths = [str(ROOT / "notebooks" / f"{name}.ipynb") for name in RUN_ORDER]
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval-lax",
         "--nbval-sanitize-with", str(ROOT / "tests/nbval_sanitize.cfg"),
         "--rootdir", str(tmp_path), *paths],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-4000:]
    assert " failed" not in result.stdout.splitlines()[-1]


def test_a_notebook_runs_alone_with_plain_papermill_from_another_folder(tmp_path, monkeypatch):
    """papermill starts the kernel in the working folder given; paths still resolve from
    the repository root, and the spec given as a parameter is the one used."""
    import papermill as pm

    monkeypatch.chdir(tmp_path)
    out = tmp_path / "out.ipynb"
    pm.execute_notebook(str(ROOT / "notebooks/03_policies.ipynb"), str(out),
                        parameters={"spec": "policies/organization.yaml"}, cwd=str(tmp_path),
                        kernel_name="python3", progress_bar=False)
    text = out.read_text()
    assert "deny-leave-organization" in text


def test_papermill_documents_each_parameter(capsys):
    """`papermill --help-notebook` reads the annotated parameters cell."""
    import papermill as pm

    params = pm.inspect_notebook(str(ROOT / "notebooks/01_organization.ipynb"))
    assert params["spec"]["inferred_type_name"] == "str"
    assert "relative to the repository root" in params["spec"]["help"]
    assert params["approve"]["inferred_type_name"] == "bool"
