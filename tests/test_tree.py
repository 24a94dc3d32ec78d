"""The OU tree picture at any scale (lib/aigov/org/tree.py): a 1,000-account
organization is drawn as a bounded number of boxes that still account for every OU and
account; a small one is drawn box by box."""

from __future__ import annotations

from aigov.org.tree import MAX_BOXES, collapsed_rows, draw_tree, tree_rows
from aigov.spec import load_spec
from test_program import synthetic_spec


def test_a_small_tree_is_drawn_box_by_box():
    rows = tree_rows(load_spec())
    assert collapsed_rows(rows) == rows


def test_a_1000_account_tree_collapses_to_a_bounded_picture_that_counts_everything():
    spec = synthetic_spec()  # 200 OUs, 1,000 accounts
    rows = tree_rows(spec)
    shown = collapsed_rows(rows)
    assert len(shown) <= MAX_BOXES < len(rows)
    accounts = sum(int(r["label"].split()[0]) for r in shown if r["kind"] == "account")
    assert accounts == len(spec.accounts)
    ous_shown = [r for r in shown if r["kind"] == "ou"]
    folded = sum(int(r["label"].split("+")[1].split()[0]) for r in ous_shown if "+" in r["label"])
    assert len(ous_shown) + folded == len(spec.ou_paths())
    assert all(r["parent"] in {s["key"] for s in shown} for r in shown if r["parent"])


def test_the_collapsed_picture_is_small():
    import io

    fig = draw_tree(synthetic_spec())
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    assert buf.tell() < 1_000_000
