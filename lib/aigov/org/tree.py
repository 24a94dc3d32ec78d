"""A picture of the OU tree with its accounts (notebook 02, the onboarding notebook).

Drawn from the spec; with an ``Inventory`` each node also shows its live id, and a node
the spec wants but the organization lacks is drawn dashed.
"""

from __future__ import annotations

from typing import Any

from aigov.org.inventory import Inventory
from aigov.spec.model import ROOT, Spec


def tree_rows(spec: Spec, inv: Inventory | None = None) -> list[dict[str, Any]]:
    """One row per node: key, label, kind, parent, live id (or '' when missing)."""
    rows = [{"key": ROOT, "label": ROOT, "kind": "root", "parent": None,
             "id": (inv.root_id if inv else "") or ""}]
    for path, ou in spec.walk_ous():
        parent = path.rpartition("/")[0] or ROOT
        rows.append({"key": path, "label": ou.name, "kind": "ou", "parent": parent,
                     "id": (inv.target_id(path) if inv else "") or ""})
    for acct in spec.accounts:
        key = f"account:{acct.name}"
        rows.append({"key": key, "label": acct.name, "kind": "account",
                     "parent": spec.normalize_target(acct.ou),
                     "id": (inv.target_id(key) if inv else "") or ""})
    return rows


def draw_tree(spec: Spec, inv: Inventory | None = None):  # -> matplotlib Figure
    """Draw Root -> OUs -> accounts left to right; return the figure."""
    import matplotlib.pyplot as plt

    rows = tree_rows(spec, inv)
    children: dict[str | None, list[dict[str, Any]]] = {}
    for r in rows:
        children.setdefault(r["parent"], []).append(r)
    pos: dict[str, tuple[float, float]] = {}
    next_y = [0.0]

    def place(node: dict[str, Any], depth: int) -> float:
        kids = children.get(node["key"], [])
        if not kids:
            y = next_y[0]
            next_y[0] += 1
        else:
            ys = [place(k, depth + 1) for k in kids]
            y = sum(ys) / len(ys)
        pos[node["key"]] = (depth, y)
        return y

    place(rows[0], 0)
    height = max(3.0, 0.45 * next_y[0] + 1)
    depth = max(x for x, _ in pos.values()) + 1
    fig, ax = plt.subplots(figsize=(2.8 * depth + 1, height))
    colours = {"root": "#4c72b0", "ou": "#dd8452", "account": "#55a868"}
    for r in rows:
        x, y = pos[r["key"]]
        if r["parent"]:
            px, py = pos[r["parent"]]
            ax.plot([px + 0.35, x - 0.35], [py, y], color="#999999", lw=1, zorder=1)
        missing = inv is not None and not r["id"]
        label = r["label"] + (f"\n{r['id']}" if r["id"] else ("\n(not created)" if missing else ""))
        ax.text(x, y, label, ha="center", va="center", fontsize=8, zorder=2,
                bbox={"boxstyle": "round,pad=0.3", "fc": colours[r["kind"]], "alpha": 0.85,
                      "ec": "black", "ls": "--" if missing else "-"}, color="white")
    ax.set_xlim(-0.6, depth - 0.4)
    ax.set_ylim(next_y[0] - 0.5, -0.5)
    ax.axis("off")
    ax.set_title("Organization: Root, OUs (orange), accounts (green)", fontsize=10)
    fig.tight_layout()
    return fig
