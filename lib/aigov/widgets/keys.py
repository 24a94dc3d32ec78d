"""Keep arrow keys inside a view: JupyterLab gives them to the notebook otherwise.

In command mode JupyterLab binds the arrow keys to "select the next cell" for any focused
element that is not ``:read-write`` (its keybinding selector is
``.jp-Notebook.jp-mod-commandMode:not(.jp-mod-readWrite) :focus``), and a ``<select>``
is not, so the OU list and the dropdowns lose their arrow keys. Lumino walks from the
event's target up to the notebook and stops at an element with
``data-lm-suppress-shortcuts`` before matching a selector there; this invisible widget, shown inside a view, sets that attribute on every ``<select>``
of the view's output area (Lumino checks it on the focused element itself before it
matches a selector there). In a list or dropdown of the view the notebook's shortcuts
then pause; everywhere else nothing changes.
"""

from __future__ import annotations

from functools import cache
from typing import Any

_ESM = """
function render({ el }) {
  el.style.display = "none";
  // Lumino tests the attribute on the focused element before matching a keybinding's
  // selector there, so it goes on each select of the view, including ones drawn later.
  // The view is attached after render returns: look for its output area for up to 10 s.
  const suppress = (root) => root.querySelectorAll("select").forEach(
    (s) => s.setAttribute("data-lm-suppress-shortcuts", "true"));
  let tries = 0;
  const mark = () => {
    const area = el.isConnected && el.closest(".jp-OutputArea-output");
    if (area) {
      suppress(area);
      new MutationObserver(() => suppress(area)).observe(area, { childList: true, subtree: true });
    } else if (tries++ < 100) {
      setTimeout(mark, 100);
    }
  };
  mark();
}
export default { render };
"""


@cache
def _scope_class() -> type:
    import anywidget

    class KeyboardScope(anywidget.AnyWidget):
        _esm = _ESM

    return KeyboardScope


def keyboard_scope() -> Any:
    """A widget to put in a view's box so its inputs keep their arrow keys."""
    return _scope_class()()
