"""The live organization beside the spec: every node with its live id and the policies
attached in the spec and in the organization, and nodes only the live side has.

Shown when an emulator or AWS endpoint is set; without one the onboarding runs against
the spec alone and this view says so. Reading the organization uses list calls only
(``org.discover``), so opening an onboarding session never changes anything.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from aigov.org.inventory import Inventory
from aigov.org.tree import tree_rows
from aigov.spec.model import Spec
from aigov.widgets.view import Static, View, pre, table_html

NO_ENDPOINT = ("No emulator or AWS endpoint is set: this session runs against the spec "
               "alone. `aigov lab` starts an emulator; `aigov run` builds the organization in it.")


def spec_attachments(spec: Spec) -> set[tuple[str, str, str]]:
    """``(policy type, policy name, target key)`` for every attachment of the spec."""
    return {(p.type, p.name, spec.normalize_target(t)) for p in spec.policies for t in p.targets}


def side_by_side(spec: Spec, inv: Inventory) -> pd.DataFrame:
    """One row per node of the spec, then per node only the organization has: its live
    id, the custom policies attached in the spec and live, and whether they agree."""
    inv = inv.bind(spec, strict=False)  # accounts keyed as the spec means them
    want, have = spec_attachments(spec), inv.attachments()
    rows: list[dict[str, Any]] = []

    def names(pairs: set[tuple[str, str, str]], key: str) -> str:
        return ", ".join(sorted(n for _, n, k in pairs if k == key))

    live_custom = {a for a in have if not _aws_managed(inv, a)}
    for r in tree_rows(spec, inv):
        key = r["key"]
        spec_p, live_p = names(want, key), names(live_custom, key)
        rows.append({"node": key, "kind": r["kind"], "live id": r["id"] or "(missing)",
                     "spec policies": spec_p, "live policies": live_p,
                     "in sync": bool(r["id"]) and spec_p == live_p})
    known = {r["node"] for r in rows}
    extra = [*(p for p in inv.ous if p not in known),
             *(f"account:{n}" for n in inv.accounts if f"account:{n}" not in known)]
    for key in extra:
        rows.append({"node": key, "kind": "account" if key.startswith("account:") else "ou",
                     "live id": inv.target_id(key) or "", "spec policies": "(not in spec)",
                     "live policies": names(live_custom, key), "in sync": False})
    return pd.DataFrame(rows, columns=["node", "kind", "live id", "spec policies",
                                       "live policies", "in sync"])


def _aws_managed(inv: Inventory, attachment: tuple[str, str, str]) -> bool:
    pol = inv.policies.get((attachment[0], attachment[1]))
    return bool(pol and pol.aws_managed)


class LiveOrgView(View):
    """``LiveOrgView.for_context(ctx)``: the spec beside the organization at the
    context's endpoint (or a note that there is none). ``refresh()`` reads it again."""

    def __init__(self, spec: Spec, endpoint_url: str | None = None,
                 read: Callable[[], Inventory] | None = None) -> None:
        import ipywidgets as w

        self.spec = spec
        self.endpoint_url = endpoint_url
        self._read = read
        self.inventory: Inventory | None = None
        self._html = w.HTML()
        self._html.add_class("aigov-live")
        self._button = w.Button(description="Read the organization again", icon="refresh",
                                disabled=read is None,
                                layout=w.Layout(width="auto"))
        self._button.on_click(lambda _: self.refresh())
        self.widget = w.VBox([self._button, self._html])
        self.refresh()

    @classmethod
    def for_context(cls, ctx: Any) -> LiveOrgView:
        """From a runbook ``Context``: live when it has an endpoint, else spec only."""
        from aigov.org.discover import discover

        if not ctx.endpoint_url:
            return cls(ctx.spec)
        return cls(ctx.spec, ctx.endpoint_url, lambda: discover(ctx.session()))

    def refresh(self) -> None:
        if self._read is not None:
            self.inventory = self._read()
        self._html.value = self._render_html()

    def summary(self) -> str:
        if self._read is None:
            return NO_ENDPOINT
        inv = self.inventory
        assert inv is not None
        if not inv.exists:
            return (f"{self.endpoint_url}: no organization yet (caller account "
                    f"{inv.caller_account_id}); `aigov run --endpoint-url {self.endpoint_url}` "
                    "creates it from the spec.")
        frame = self.frame()
        return (f"{self.endpoint_url}: organization {inv.organization_id}, "
                f"{int(frame['in sync'].sum())} of {len(frame)} nodes as the spec says.")

    def frame(self) -> pd.DataFrame:
        if self.inventory is None:
            return pd.DataFrame(tree_rows(self.spec)).drop(columns=["id"]).fillna("")
        return side_by_side(self.spec, self.inventory)

    def _render_html(self) -> str:
        return f"{pre(self.summary())}{table_html(self.frame())}"

    def static(self) -> Static:
        return Static(self.summary(), self.frame())
