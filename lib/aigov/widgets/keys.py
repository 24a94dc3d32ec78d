"""Keep arrow keys inside a view: JupyterLab gives them to the notebook otherwise.

In command mode JupyterLab binds the arrow keys to "select the next cell" for any focused
element that is not ``:read-write`` (its keybinding selector is
``.jp-Notebook.jp-mod-commandMode:not(.jp-mod-readWrite) :focus``), and a ``<select>``
is not, so the OU list and the dropdowns lose their arrow keys. Lumino skips every
shortcut for an event whose target has an ancestor with ``data-lm-suppress-shortcuts``;
this invisible widget, shown inside a view, sets that attribute on the view's output
area. Inside the view the notebook's shortcuts then pause (Escape and a click outside
give them back); outside it nothing changes.
"""

from __future__ import annotations

from functools import cache
from typing import Any

_ESM = """
function render({ el }) {
  el.style.display = "none";
  const mark = () => {
    const area = el.closest(".jp-OutputArea-output") || el.parentElement;
    if (area) area.setAttribute("data-lm-suppress-shortcuts", "true");
  };
  mark();
  requestAnimationFrame(mark);
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
