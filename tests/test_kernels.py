"""Kernels for ``aigov run``: each notebook's kernel starts one notebook ahead, with the
modules its code cells import already imported, and none outlives the run."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from aigov.runbook.kernels import DEFERRED, KernelPool, imports_of, warm_lines
from conftest import ROOT


def _notebook(path: Path, *sources: str) -> Path:
    cells = [{"cell_type": "code", "metadata": {}, "source": s, "outputs": [],
              "execution_count": None} for s in sources]
    cells.insert(0, {"cell_type": "markdown", "metadata": {}, "source": "import nothing"})
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4,
                                "nbformat_minor": 5}))
    return path


def test_imports_of_lists_each_top_level_import_of_the_code_cells_once(tmp_path):
    nb = _notebook(tmp_path / "a.ipynb",
                   "import json, csv\nfrom aigov.spec import load_spec\nx = 1",
                   "def f():\n    import decimal\nfrom . import rel\nimport json",
                   "%matplotlib inline\nimport fractions",  # a magic: the cell is skipped
                   "from aigov.runbook.notebook import start")
    assert imports_of(nb) == ["json", "csv", "aigov.spec", "aigov.runbook.notebook"]


def test_the_warm_up_imports_what_a_module_defers_and_leaves_no_name(tmp_path):
    """A kernel started ahead imports the notebook's modules, then the modules each one
    says its functions import when called (``DEFERRED_IMPORTS``: 03's pandas and
    pyplot); a missing module is skipped, and the namespace keeps no name."""
    pkg = tmp_path / "warmpkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text('DEFERRED_IMPORTS = ("xml.dom.minidom", "no_such_mod")\n')
    code = ("import sys\nns = {}\n"
            f"exec({warm_lines(['json', 'no_such_pkg', 'warmpkg'])[0]!r}, ns)\n"
            "print(sorted(k for k in ns if not k.startswith('__')), "
            "'warmpkg' in sys.modules, 'xml.dom.minidom' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=tmp_path, timeout=60)
    assert out.stdout.split() == ["[]", "True", "True"]


def _function_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: set[str] = set()
    for fn in ast.walk(tree):
        if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
            for node in ast.walk(fn):
                if isinstance(node, ast.Import):
                    out.update(a.name for a in node.names)
                elif isinstance(node, ast.ImportFrom) and node.module:
                    out.add(node.module)
    return out


def test_each_deferred_import_a_module_declares_is_one_its_functions_make():
    """``DEFERRED_IMPORTS`` cannot go stale: each module it names is imported inside a
    function of the module that declares it (and the notebooks' modules declare some)."""
    declared = {}
    for path in sorted((ROOT / "lib" / "aigov").rglob("*.py")):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.Assign) and any(
                    isinstance(t, ast.Name) and t.id == DEFERRED for t in node.targets):
                declared[path] = ast.literal_eval(node.value)
    assert any(p.name == "lint_report.py" for p in declared)
    for path, names in declared.items():
        assert set(names) <= _function_imports(path), path


def test_a_kernel_that_cannot_start_is_left_to_its_notebook(tmp_path):
    """No such kernelspec: the pool does not raise; papermill starts the kernel when the
    notebook runs and its error is recorded against that notebook."""
    pool = KernelPool([_notebook(tmp_path / "a.ipynb", "x = 1")], ROOT, [],
                      kernel_name="no-such-kernel-aigov")
    pool.prestart()
    km = pool.take(0)
    assert not km.has_kernel
    pool.stop(km)
    pool.close()


def _kernel_pids(km) -> int:
    return km.provisioner.process.pid


def _alive(pid: int) -> bool:
    return Path(f"/proc/{pid}").exists() and "zombie" not in Path(
        f"/proc/{pid}/status").read_text().lower()


@pytest.mark.slow
def test_prestarted_kernel_has_imported_its_notebook_modules_and_names_nothing(tmp_path):
    first = _notebook(tmp_path / "first.ipynb", "import email.mime.text")
    second = _notebook(tmp_path / "second.ipynb", "import xml.dom.minidom")
    pool = KernelPool([first, second], ROOT, ["--IPKernelApp.log_level=CRITICAL"])
    try:
        km = pool.take(0)
        ahead = pool._started[1]  # the next notebook's kernel is already booting
        assert ahead.has_kernel
        kc = km.blocking_client()
        kc.start_channels()
        kc.wait_for_ready(timeout=120)
        out: list[str] = []
        reply = kc.execute_interactive(
            "import sys; print(sorted(k for k in globals() if not k.startswith('_')), "
            "'email.mime.text' in sys.modules, 'xml.dom.minidom' in sys.modules)",
            timeout=60, output_hook=lambda m: out.append(m["content"].get("text", "")))
        kc.stop_channels()
        assert reply["content"]["execution_count"] == 1  # the warm-up is no execution
        assert "".join(out).split("] ")[1].split() == ["True", "False"]
        assert "email" not in "".join(out).split("]")[0]  # nothing left in the namespace
        pids = [_kernel_pids(km), _kernel_pids(ahead)]
        pool.stop(km)
    finally:
        pool.close()
    assert not any(_alive(pid) for pid in pids)


def test_runner_validates_notebooks_without_building_the_iri_parser():
    """jsonschema's optional ``iri`` check builds an RFC 3987 parser at import; the
    runner blocks it and nbformat still validates a notebook."""
    code = ("import sys; from aigov.runbook.kernels import without_iri_parser; "
            "without_iri_parser(); import nbformat; "
            "nbformat.validate(nbformat.v4.new_notebook()); "
            "print(sys.modules.get('rfc3987_syntax'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=ROOT, timeout=120)
    assert out.stdout.strip() == "None"
