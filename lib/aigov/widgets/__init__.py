"""Onboarding views for JupyterLab: the OU tree, a policy playground, a live linter.

A package, one module per view (docs/style.md, rule 1; ``aigov lab`` is the runbook's,
``runbook/lab.py``); this file re-exports the classes so ``from aigov.widgets import
PolicyPlayground`` works.

Every view keeps its logic in plain methods and state (``playground.set(action=...)``
then ``playground.decision``), so tests drive it without a browser. Each also has a
``static()`` view (pandas tables and text): a notebook executed headless by papermill
or nbval shows those instead of empty widget views, so the run is a readable record.
"""

from aigov.widgets.editor import PolicyEditor
from aigov.widgets.live import LiveOrgView
from aigov.widgets.playground import PolicyPlayground
from aigov.widgets.tree import OUTreeBrowser

__all__ = ["LiveOrgView", "OUTreeBrowser", "PolicyEditor", "PolicyPlayground"]
