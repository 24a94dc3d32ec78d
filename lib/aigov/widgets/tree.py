"""The OU tree browser: pick an OU or account, see its path, what is attached at each
level from Root down, and the accounts under it.

A guardrail at ``AI`` applies to ``ai-dev`` although nothing is attached to the account
itself; the chain of levels is what a new team needs to see, so the browser lists every
level's policies, AWS-managed FullAWSAccess and RCPFullAWSAccess included.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

import pandas as pd

from aigov.policy.bundle import Bundle
from aigov.policy.render import RenderedPolicy
from aigov.policy.types import POLICY_TYPES, short_name
from aigov.spec.model import ROOT, Spec
from aigov.widgets.keys import keyboard_scope
from aigov.widgets.view import Static, View, table_html


def node_label(spec: Spec, key: str) -> str:
    """``AI/Development`` -> ``"    Development"``; ``account:ai-dev`` -> ``"ai-dev (account)"``
    indented under its OU: the tree drawn in a list."""
    if key == ROOT:
        return ROOT
    depth = len(spec.levels(key)) - 1
    name = spec.label(key) + " (account)" if key.startswith("account:") \
        else key.rsplit("/", 1)[-1]
    return "\u2003" * depth + name


def tree_order(spec: Spec) -> list[str]:
    """Every target, each OU followed by its accounts and then its child OUs."""
    by_ou: dict[str, list[str]] = {}
    for a in spec.accounts:
        by_ou.setdefault(spec.normalize_target(a.ou), []).append(spec.account_key(a))
    out = [ROOT, *by_ou.get(ROOT, [])]
    for path, _ in spec.walk_ous():
        out += [path, *by_ou.get(path, [])]
    return out


class OUTreeBrowser(View):
    """``OUTreeBrowser(spec).select("ai-dev")``; read ``path``, ``attached_frame()``,
    ``accounts()``."""

    def __init__(self, spec: Spec | Bundle, select: str = ROOT,
                 rendered: Mapping[str, RenderedPolicy] | None = None) -> None:
        import ipywidgets as w

        self.bundle = Bundle.of(spec, rendered)  # the notebook's bundle: rendered once
        self.spec = spec = self.bundle.spec
        self.rendered = self.bundle.rendered
        order = tree_order(spec)
        self._picker = w.Select(options=[(node_label(spec, k), k) for k in order],
                                rows=min(len(order), 14), description="OU/account",
                                layout=w.Layout(width="22em"))
        self._detail = w.HTML()
        self._detail.add_class("aigov-tree-detail")
        self.widget = w.HBox([self._picker, self._detail, keyboard_scope()])
        self._picker.observe(lambda _: self._refresh(), names="value")
        self.select(select)

    # -- state -------------------------------------------------------------------------
    def select(self, target: str) -> None:
        """Pick an OU path, account name or id, or Root (``KeyError`` if unknown)."""
        key = self.spec.normalize_target(target)
        if self._picker.value == key:
            self._refresh()
        self._picker.value = key

    @property
    def selected(self) -> str:
        return self._picker.value

    @property
    def path(self) -> list[str]:
        """Levels from Root down to the selection."""
        return self.spec.levels(self.selected)

    def attached_frame(self, target: str | None = None) -> pd.DataFrame:
        """One row per policy attached at each level of the path, Root first."""
        key = self.spec.normalize_target(target) if target else self.selected
        rows = [{"level": level, "type": short_name(t), "policy": p.name,
                 "description": p.description}
                for level in self.spec.levels(key) for t in POLICY_TYPES
                if t in self.spec.organization.enabled_policy_types
                for p in self.bundle.attached(level, t)]
        return pd.DataFrame(rows, columns=["level", "type", "policy", "description"])

    def accounts(self, target: str | None = None) -> list[str]:
        """Accounts at the selection: the account itself, or every account in the OU and
        the OUs below it (Root: every account); ``name (id)`` where names repeat."""
        key = self.spec.normalize_target(target) if target else self.selected
        if key.startswith("account:"):
            return [self.spec.label(key)]
        keys = [self.spec.account_key(a) for a in self.spec.accounts]
        return [self.spec.label(k) for k in keys if key in self.spec.levels(k)]

    def ai_settings_frame(self, target: str | None = None) -> pd.DataFrame:
        """For an account: its effective AI opt-out per service and Bedrock guardrail per
        Region, as the spec gives them (AWS's inheritance rules, ``policy/effective.py``);
        empty for an OU or Root, where nothing is effective."""
        from aigov.org.management import ai_settings_rows, spec_ai_settings

        key = self.spec.normalize_target(target) if target else self.selected
        if not key.startswith("account:"):
            return pd.DataFrame(columns=["setting", "where", "value"])
        name = key.removeprefix("account:")
        docs = {n: r.document for n, r in self.rendered.items()}
        rows = ai_settings_rows([(name, spec_ai_settings(self.spec, name, docs))])
        return pd.DataFrame(rows, columns=["account", "setting", "where", "value"]).drop(
            columns="account")

    # -- views ---------------------------------------------------------------------------
    def _refresh(self) -> None:
        accounts = ", ".join(self.accounts()) or "none"
        ai = ""
        if self.selected.startswith("account:"):
            ai = ("<details open><summary>effective AI settings</summary>"
                  f"{table_html(self.ai_settings_frame())}</details>")
        self._detail.value = (f"<b>{html.escape(' / '.join(self.path))}</b><br>accounts: "
                              f"{html.escape(accounts)}{self.levels_html()}{ai}")

    def levels_html(self) -> str:
        """The path's levels, Root first, each a collapsible group with its policy count;
        the selection's own level opens."""
        frame = self.attached_frame()
        parts = []
        for i, level in enumerate(self.path):
            rows = frame[frame["level"] == level].drop(columns="level")
            opened = " open" if i == len(self.path) - 1 else ""
            name = ("account " + self.spec.label(level) if level.startswith("account:")
                    else level)
            parts.append(f"<details{opened}><summary>{html.escape(name)} "
                         f"({len(rows)} polic{'y' if len(rows) == 1 else 'ies'})</summary>"
                         f"{table_html(rows)}</details>")
        return "".join(parts)

    def overview(self) -> pd.DataFrame:
        """The whole tree: each node, the policies attached directly there, its accounts."""
        rows: list[dict[str, Any]] = []
        for key in tree_order(self.spec):
            row: dict[str, Any] = {"node": node_label(self.spec, key).replace("\u2003", "  "),
                                   "path": " / ".join(self.spec.levels(key))}
            for t in POLICY_TYPES:
                if t in self.spec.organization.enabled_policy_types:
                    row[short_name(t)] = ", ".join(p.name for p in
                                              self.bundle.attached(key, t))
            row["accounts"] = len(self.accounts(key))
            rows.append(row)
        return pd.DataFrame(rows)

    def static(self) -> Static:
        return Static(self.overview(),
                      f"Selected: {' / '.join(self.path)} (accounts: "
                      f"{', '.join(self.accounts()) or 'none'})",
                      self.attached_frame())
