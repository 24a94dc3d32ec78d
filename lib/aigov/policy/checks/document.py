"""The document a check looks at: parsed JSON, its type, and where each element sits.

Checks report a statement index and an element (the location of docs/contracts/lint-findings.md); the line comes
from the source text, so an editor can jump to it. Templates are located in their
rendered text, which follows the template line for line when a template writes one
element per line (the library's templates do).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from aigov.findings import Finding, finding

Path = tuple[Any, ...]

_WS = re.compile(r"[ \t\n\r]*")
_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?")


def json_lines(text: str) -> dict[Path, int]:
    """Map every object key and array item of a valid JSON ``text`` to its 1-based line.

    ``{("Statement", 0, "Action"): 7, ...}``. The text must already parse with ``json``.
    """
    out: dict[Path, int] = {}
    newlines = [m.start() for m in re.finditer("\n", text)]

    def line_at(pos: int) -> int:
        lo, hi = 0, len(newlines)
        while lo < hi:
            mid = (lo + hi) // 2
            if newlines[mid] < pos:
                lo = mid + 1
            else:
                hi = mid
        return lo + 1

    def ws(pos: int) -> int:
        return _WS.match(text, pos).end()

    def value(pos: int, path: Path) -> int:
        pos = ws(pos)
        out.setdefault(path, line_at(pos))
        ch = text[pos]
        if ch == "{":
            pos = ws(pos + 1)
            if text[pos] == "}":
                return pos + 1
            while True:
                pos = ws(pos)
                key, end = json.decoder.scanstring(text, pos + 1)
                out[(*path, key)] = line_at(pos)
                pos = ws(end)
                pos = value(pos + 1, (*path, key))  # skip ':'
                pos = ws(pos)
                if text[pos] == "}":
                    return pos + 1
                pos += 1  # ','
        if ch == "[":
            pos = ws(pos + 1)
            if text[pos] == "]":
                return pos + 1
            i = 0
            while True:
                pos = value(pos, (*path, i))
                pos = ws(pos)
                if text[pos] == "]":
                    return pos + 1
                pos += 1
                i += 1
        if ch == '"':
            return json.decoder.scanstring(text, pos + 1)[1]
        for lit in ("true", "false", "null"):
            if text.startswith(lit, pos):
                return pos + len(lit)
        return _NUMBER.match(text, pos).end()

    if text.strip():
        value(0, ())
    return out


@dataclass(frozen=True)
class PolicyDoc:
    """One policy document as a check sees it.

    ``text`` is the minified JSON sent to AWS (what quotas count); ``lines`` maps element
    paths to source lines (empty when the source is unknown).
    """

    document: Any
    type: str
    file: str = ""
    name: str = ""
    text: str = ""
    lines: dict[Path, int] = field(default_factory=dict)

    def statements(self) -> list[tuple[int, Any]]:
        """``[(index, statement)]``; a single statement object counts as index 0. Read
        once per document, since every check walks them."""
        got = self.__dict__.get("_statements")
        if got is None:
            doc = self.document if isinstance(self.document, dict) else {}
            st = doc.get("Statement")
            got = ([(0, st)] if isinstance(st, dict) else
                   list(enumerate(st)) if isinstance(st, list) else [])
            self.__dict__["_statements"] = got  # frozen: cached beside the fields
        return got

    def statement_path(self, index: int) -> Path:
        st = self.document.get("Statement") if isinstance(self.document, dict) else None
        return ("Statement",) if isinstance(st, dict) else ("Statement", index)

    def line(self, path: Path) -> int | None:
        """The line of ``path`` or of its nearest located ancestor."""
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get(())

    def at(self, code: str, message: str, *, statement: int | None = None,
           element: str | None = None, path: Path | None = None, **kw: Any) -> Finding:
        """A finding located at a statement's element (or at ``path`` for other types)."""
        if path is None:
            path = self.statement_path(statement) if statement is not None else ()
            if element:
                path = (*path, element)
        return finding(code, message, file=self.file, statement=statement, element=element,
                       line=self.line(path) if self.lines else None, path=path, **kw)


def as_list(value: Any) -> list[Any]:
    """IAM allows a string or a list wherever a list is meant."""
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def actions_of(stmt: dict[str, Any]) -> tuple[str | None, list[Any]]:
    """``("Action" | "NotAction" | None, values)`` of a statement."""
    for element in ("Action", "NotAction"):
        if element in stmt:
            return element, as_list(stmt[element])
    return None, []


def condition_keys(stmt: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """``(operator, key)`` for every key in a statement's Condition block."""
    cond = stmt.get("Condition")
    if not isinstance(cond, dict):
        return
    for op, block in cond.items():
        if isinstance(block, dict):
            for key in block:
                yield op, key
