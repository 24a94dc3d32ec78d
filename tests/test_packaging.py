"""The two install paths (pip with pyproject.toml, conda with environment.yml) agree."""

from __future__ import annotations

import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _conda_pip_requirements() -> list[str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    return [r for r in pip_section if not r.startswith("-e")]


def test_environment_yml_lists_pyproject_dependencies_with_the_same_ranges():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert sorted(_conda_pip_requirements()) == sorted(project["dependencies"])


def test_environment_yml_brings_the_pulumi_cli_and_python_311():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    plain = [d for d in env["dependencies"] if isinstance(d, str)]
    assert any(d.startswith("pulumi-core") for d in plain)
    assert "python=3.11" in plain
    assert env["channels"] == ["conda-forge"]


def test_outputs_folder_is_ignored_except_its_readme():
    ignore = (ROOT / ".gitignore").read_text().splitlines()
    assert "/outputs/*" in ignore and "!/outputs/README.md" in ignore
