"""What every onboarding view shares: a widget for JupyterLab and a static fallback.

A view displays as its ipywidgets box where a widget manager renders it (JupyterLab
prefers the widget mime type), and its mime bundle also carries the ``static()`` tables
as HTML and text, so the same output stays readable in nbconvert's HTML or a terminal.
"""

from __future__ import annotations

import html
import os
from typing import Any

import pandas as pd


def interactive() -> bool:
    """Is a person at a screen? The frontend of the running cell can answer ``input()``
    (JupyterLab, Notebook, VS Code do); papermill and nbclient execute cells with
    ``allow_stdin`` false, so a headless run records the static tables only, never an
    empty widget view. ``AIGOV_WIDGETS=0`` or ``1`` overrides the guess."""
    forced = os.environ.get("AIGOV_WIDGETS")
    if forced in ("0", "1"):
        return forced == "1"
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    kernel = getattr(shell, "kernel", None)
    return bool(getattr(kernel, "_allow_stdin", False))


class View:
    """Base of the onboarding views: subclasses build ``self.widget`` and ``static()``.
    Displayed, a view is its widget at a screen and its static tables in a record."""

    widget: Any

    def static(self) -> Any:  # -> pandas.DataFrame or Static
        raise NotImplementedError

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        data = dict(self.widget._repr_mimebundle_(include=include, exclude=exclude)) \
            if interactive() else {}
        fallback = self.static()
        data["text/plain"] = fallback.to_string() if hasattr(fallback, "to_string") else str(fallback)
        if hasattr(fallback, "_repr_html_"):
            data["text/html"] = fallback._repr_html_()
        return data


class Static:
    """Text and tables shown one after another (a view's headless record)."""

    def __init__(self, *parts: str | pd.DataFrame) -> None:
        self.parts = parts

    def to_string(self) -> str:
        return "\n\n".join(frame_text(p) if isinstance(p, pd.DataFrame) else p
                           for p in self.parts)

    def __repr__(self) -> str:
        return self.to_string()

    def _repr_html_(self) -> str:
        return "".join(table_html(p) if isinstance(p, pd.DataFrame) else pre(p)
                       for p in self.parts)


def kv_frame(rows: list[tuple[str, str]]) -> pd.DataFrame:
    """Field/value rows, shown as ``name  value`` lines in text (values next to names)."""
    frame = pd.DataFrame(rows, columns=["field", "value"])
    frame.attrs["kv"] = True
    return frame


def frame_text(frame: pd.DataFrame) -> str:
    """A table as text, every column left-aligned (headers over their values)."""
    if frame.empty:
        return "none"
    cells = frame.astype(str)
    if frame.attrs.get("kv"):
        width = max(len(k) for k in cells["field"])
        return "\n".join(f"{k.ljust(width)}  {v}" for k, v in cells.itertuples(index=False))
    widths = [max(len(str(c)), *(len(v) for v in cells[c])) for c in cells.columns]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(cells.columns, widths, strict=True))]
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip()
              for row in cells.itertuples(index=False)]
    return "\n".join(lines)


_LEFT = "<style>.aigov-table th, .aigov-table td {text-align: left !important; " \
        "vertical-align: top; padding: 0.1em 0.8em 0.1em 0}</style>"


def table_html(frame: pd.DataFrame) -> str:
    """A small HTML table for a widget's output area (escaped, no index, left-aligned)."""
    if frame.empty:
        return "<i>none</i>"
    return _LEFT + frame.to_html(index=False, escape=True, border=0, classes="aigov-table",
                                 justify="left")


def pre(text: str) -> str:
    """Preformatted text that wraps at spaces, never inside a word."""
    return ("<pre style='white-space: pre-wrap; word-break: normal; overflow-wrap: normal; "
            f"margin: 0'>{html.escape(text)}</pre>")
