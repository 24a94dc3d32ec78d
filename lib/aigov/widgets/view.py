"""What every onboarding view shares: a widget for JupyterLab and a static fallback.

A view displays as its ipywidgets box where a widget manager renders it (JupyterLab
prefers the widget mime type), and its mime bundle also carries the ``static()`` tables
as HTML and text, so the same output stays readable in nbconvert's HTML or a terminal.
"""

from __future__ import annotations

import html
from typing import Any

import pandas as pd


class View:
    """Base of the onboarding views: subclasses build ``self.widget`` and ``static()``."""

    widget: Any

    def static(self) -> Any:  # -> pandas.DataFrame or Static
        raise NotImplementedError

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        data = dict(self.widget._repr_mimebundle_(include=include, exclude=exclude))
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
        return "\n\n".join(p.to_string(index=False) if isinstance(p, pd.DataFrame) else p
                           for p in self.parts)

    def __repr__(self) -> str:
        return self.to_string()

    def _repr_html_(self) -> str:
        return "".join(p.to_html(index=False, escape=True) if isinstance(p, pd.DataFrame)
                       else f"<pre>{html.escape(p)}</pre>" for p in self.parts)


def table_html(frame: pd.DataFrame) -> str:
    """A small HTML table for a widget's output area (escaped, no index)."""
    if frame.empty:
        return "<i>none</i>"
    return frame.to_html(index=False, escape=True, border=0, classes="aigov-table")


def pre(text: str) -> str:
    return f"<pre style='white-space: pre-wrap; margin: 0'>{html.escape(text)}</pre>"
