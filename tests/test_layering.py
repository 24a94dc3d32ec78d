"""The package graph has no upward edge (docs/architecture.md, "Layers").

Every ``aigov`` import, at module level or inside a function, is read with ``ast``; a
module may import its own package and any package of a lower layer, never one of its
own layer or above. A new package must be given a layer here (and in the doc).
"""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import ROOT

LIB = ROOT / "lib" / "aigov"

# Lowest first. ``policy.types`` and ``policy.quota_table`` are vocabulary (AWS's policy
# type names and quotas, importing nothing from aigov): the spec below ``policy`` reads
# them too.
VOCABULARY = ("policy.types", "policy.quota_table")
LAYERS: list[set[str]] = [
    {"aigov", "errors", "paths", "codes", *VOCABULARY},
    {"limits"},
    {"findings", "inputs"},
    {"spec", "target"},
    {"policy"},
    {"org"},
    {"deploy"},
    {"runbook"},
    {"widgets"},
    {"commands"},
    {"cli"},
]


def unit(module: str) -> str:
    """``aigov.policy.types`` -> ``policy.types``; ``aigov.org.plan`` -> ``org``."""
    parts = module.split(".")[1:]
    if not parts:
        return "aigov"
    if ".".join(parts[:2]) in VOCABULARY:
        return ".".join(parts[:2])
    return parts[0]


def rank(name: str) -> int:
    for i, layer in enumerate(LAYERS):
        if name in layer:
            return i
    raise AssertionError(f"{name} has no layer: add it to LAYERS and docs/architecture.md")


def module_name(path: Path) -> str:
    rel = path.relative_to(LIB.parent).with_suffix("")
    parts = [p for p in rel.parts if p != "__init__"]
    return ".".join(parts)


def imports(path: Path) -> list[tuple[int, str]]:
    """(line, imported module) of every ``aigov`` import in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            base = node.module
            if base == "aigov":  # from aigov import cli
                found += [(node.lineno, f"aigov.{a.name}") for a in node.names]
            elif base.startswith("aigov."):
                found.append((node.lineno, base))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names
                      if a.name == "aigov" or a.name.startswith("aigov.")]
    return found


def upward_edges() -> list[str]:
    edges = []
    for path in sorted(LIB.rglob("*.py")):
        me = unit(module_name(path))
        for line, target in imports(path):
            other = unit(target)
            if other != me and rank(other) >= rank(me):
                edges.append(f"{path.relative_to(ROOT)}:{line}: {me} imports {target}")
    return edges


def test_no_module_imports_its_own_layer_or_above():
    assert upward_edges() == []


def test_every_package_has_a_layer():
    for path in LIB.rglob("*.py"):
        rank(unit(module_name(path)))


def test_an_upward_import_is_found(tmp_path):
    """The checker itself: policy importing org is reported with its line."""
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from aigov.org.discover import discover\n")
    (line, target), = imports(bad)
    assert (line, unit(target)) == (2, "org")
    assert rank(unit(target)) > rank("policy")
