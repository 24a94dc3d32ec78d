"""A picture of the OU tree with its accounts (notebook 02, the onboarding notebook).

Drawn from the spec; with an ``Inventory`` each node also shows its live id, and a node
the spec wants but the organization lacks is drawn dashed.
"""

from __future__ import annotations

from typing import Any

from aigov.org.inventory import Inventory
from aigov.spec.model import ROOT, Spec

# imported by draw_tree only; a kernel started ahead for a notebook that draws the tree
# imports it while the previous notebook runs (runbook/kernels.py)
DEFERRED_IMPORTS = ("matplotlib.pyplot",)


def tree_rows(spec: Spec, inv: Inventory | None = None) -> list[dict[str, Any]]:
    """One row per node: key, label, kind, parent, live id (or '' when missing)."""
    inv = inv.bind(spec, strict=False) if inv is not None else None  # by id where given
    rows = [{"key": ROOT, "label": ROOT, "kind": "root", "parent": None,
             "id": (inv.root_id if inv else "") or ""}]
    for path, ou in spec.walk_ous():
        parent = path.rpartition("/")[0] or ROOT
        rows.append({"key": path, "label": ou.name, "kind": "ou", "parent": parent,
                     "id": (inv.target_id(path) if inv else "") or ""})
    for acct in spec.accounts:
        key = spec.account_key(acct)  # by id where accounts share a name
        rows.append({"key": key, "label": spec.label(key), "kind": "account",
                     "parent": spec.normalize_target(acct.ou),
                     "id": (inv.target_id(key) if inv else "") or ""})
    return rows


#: Most boxes a picture holds and stays readable (and small: a 1,000-account tree drawn
#: box by box was an 11 MB PNG and the run's peak memory).
MAX_BOXES = 80


def _depth(key: str) -> int:
    return 0 if key == ROOT else key.count("/") + 1


def collapsed_rows(rows: list[dict[str, Any]], max_boxes: int = MAX_BOXES,
                   live: bool = True) -> list[dict[str, Any]]:
    """``rows`` as drawn at any scale: when there are more than ``max_boxes``, each OU's
    accounts become one box ("12 accounts", with how many are not created); if still too
    many, the OUs below the deepest depth that fits are folded into their ancestor at that
    depth ("+N OUs"). ``live``: rows carry live ids (say how many are not created). The
    full list stays in ``tree_rows``."""
    if len(rows) <= max_boxes:
        return rows
    ous = [r for r in rows if r["kind"] != "account"]
    per_parent: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        if r["kind"] == "account":
            per_parent.setdefault(r["parent"], []).append(r)
    def keep_at(d: int, key: str) -> str:  # the ancestor at depth ``d`` standing for key
        return key if _depth(key) <= d else "/".join(key.split("/")[:d])

    def boxes(d: int) -> int:
        return (sum(1 for r in ous if _depth(r["key"]) <= d)
                + len({keep_at(d, p) for p in per_parent}))

    depth = max(_depth(r["key"]) for r in ous)
    while depth > 1 and boxes(depth) > max_boxes:
        depth -= 1

    def keep(key: str) -> str:
        return keep_at(depth, key)

    folded_ous: dict[str, int] = {}
    accounts: dict[str, list[dict[str, Any]]] = {}
    for r in ous:
        if _depth(r["key"]) > depth:
            folded_ous[keep(r["key"])] = folded_ous.get(keep(r["key"]), 0) + 1
    for parent, accts in per_parent.items():
        accounts.setdefault(keep(parent), []).extend(accts)
    out = []
    for r in ous:
        if _depth(r["key"]) > depth:
            continue
        if r["key"] in folded_ous:
            r = {**r, "label": f"{r['label']}\n+{folded_ous[r['key']]} OUs"}
        out.append(r)
    for parent, accts in accounts.items():
        missing = sum(1 for a in accts if not a["id"]) if live else 0
        label = f"{len(accts)} account{'s' if len(accts) != 1 else ''}"
        out.append({"key": f"accounts:{parent}", "kind": "account", "parent": parent,
                    "label": label + (f"\n({missing} not created)" if missing else ""),
                    "id": "" if live and missing == len(accts) else "live"})
    return out


def draw_tree(spec: Spec, inv: Inventory | None = None,
              max_boxes: int = MAX_BOXES):  # -> matplotlib Figure
    """Draw Root -> OUs -> accounts left to right, collapsed to at most about
    ``max_boxes`` boxes (``collapsed_rows``); return the figure."""
    import matplotlib.pyplot as plt

    rows = collapsed_rows(tree_rows(spec, inv), max_boxes, live=inv is not None)
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
        shown = r["id"] if r["id"] != "live" else ""
        label = r["label"] + (f"\n{shown}" if shown else ("\n(not created)" if missing else ""))
        ax.text(x, y, label, ha="center", va="center", fontsize=8, zorder=2,
                bbox={"boxstyle": "round,pad=0.3", "fc": colours[r["kind"]], "alpha": 0.85,
                      "ec": "black", "ls": "--" if missing else "-"}, color="white")
    ax.set_xlim(-0.6, depth - 0.4)
    ax.set_ylim(next_y[0] - 0.5, -0.5)
    ax.axis("off")
    ax.set_title("Organization: Root, OUs (orange), accounts (green)", fontsize=10)
    fig.tight_layout()
    return fig
