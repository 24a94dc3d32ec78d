"""Every spelling a secret can take in a record, and text with display noise removed.

A secret rarely reaches a file as typed. papermill writes a parameter into the injected
cell as a Python literal, nbformat stores it JSON-escaped, nbconvert HTML-escapes it, a
presigned URL percent-encodes a session token, code prints ``base64.b64encode(...)`` or
``.hex()``, and displays wrap long values over lines (``textwrap``, rich) or split them
with ANSI colour codes. ``forms`` lists the spellings (escapes stacked two deep, the
binary encodings of the secret, each of those escaped once); ``View`` is a text with the
noise (ANSI escapes in raw, JSON and repr form, nbformat's line-list joins, line breaks,
whitespace and optionally HTML tags) removed and a map back to the original positions,
so a match in the view masks the whole original span, noise included. Matching is
case-insensitive, which also covers upper-case hex and percent escapes.
"""

from __future__ import annotations

import base64
import bisect
import html
import json
import re
from collections.abc import Callable
from urllib.parse import quote, quote_plus

from markupsafe import escape as markup_escape

_ANSI = r"\[[0-?]*[ -/]*[@-~]"
NOISE = re.compile(
    r'\\+n"\s*,\s*"'                     # nbformat's list of lines: "abc\n",\n   "def"
    r"|\x1b" + _ANSI +                   # an ANSI escape as written to a terminal
    r"|\\+(?:u001[bB]|x1[bB]|033|e)" + _ANSI +  # the same, JSON- or repr-escaped
    r"|\\+[nrt]"                         # escaped line breaks and tabs (once or twice)
    r"|\s+")                             # line breaks and the indentation wrapping adds
TAGS = re.compile(r"<[^<>\n]{1,300}>")  # nbconvert turns ANSI colours into <span>s
# The lookahead lets the engine skip, at C speed, every character no noise starts with.
_FAST = re.compile(r"(?=[\s\\\x1b])(?:" + NOISE.pattern + ")")
_FAST_TAGS = re.compile(r"(?=[\s\\\x1b<])(?:" + NOISE.pattern + "|" + TAGS.pattern + ")")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def lower(s: str) -> str:
    """Lower case with the length kept (``str.lower`` can grow a few characters)."""
    out = s.lower()
    return out if len(out) == len(s) else s.translate(_ASCII_LOWER)


def _escapes() -> tuple[Callable[[str], str], ...]:
    return (lambda v: json.dumps(v)[1:-1],                        # JSON, ASCII only
            lambda v: json.dumps(v, ensure_ascii=False)[1:-1],    # JSON as nbformat writes
            lambda v: v.encode("unicode_escape").decode("ascii").replace('"', '\\"'),
            # ^ papermill's parameter literal (Translator.translate_escaped_str)
            lambda v: repr(v)[1:-1],                              # Python repr
            lambda v: html.escape(v, quote=True),                 # HTML text
            lambda v: html.escape(v, quote=False),
            lambda v: str(markup_escape(v)),                      # jinja2/nbconvert: &#39;
            lambda v: quote(v, safe=""),                          # percent-encoded
            lambda v: quote(v),                                   # ... keeping "/"
            lambda v: quote_plus(v),                              # form encoding
            lambda v: "".join(f"%{b:02X}" for b in v.encode()))   # every byte escaped


def base64_cores(secret: str) -> set[str]:
    """The characters of ``secret``'s base64 that do not depend on its neighbours, for
    each of the three byte alignments it can have in a longer value, standard and
    URL-safe alphabets. For alignment ``a`` the secret's bits start at bit ``8a`` of the
    encoding, so characters ``ceil(8a/6)`` to ``floor(8(a+n)/6)`` are its own."""
    raw = secret.encode("utf-8")
    out = set()
    for a in range(3):
        enc = base64.b64encode(b"\0" * a + raw + b"\0\0\0").decode("ascii")
        core = enc[-(-8 * a // 6): 8 * (a + len(raw)) // 6]
        out |= {core, core.replace("+", "-").replace("/", "_")}
    return out


def binary_forms(secret: str) -> set[str]:
    return base64_cores(secret) | {secret.encode("utf-8").hex()}


def forms(secret: str, depth: int = 2) -> set[str]:
    """``secret`` as it may appear after up to ``depth`` layers of escaping, plus its
    base64 and hex spellings escaped once.

    >>> {'a\\\\"bcdef', 'a&quot;bcdef', 'a%22bcdef'} <= forms('a"bcdef')
    True
    """
    out, layer = {secret}, {secret}
    for _ in range(depth):
        layer = {esc(v) for v in layer for esc in _escapes()} - out
        out |= layer
    for b in binary_forms(secret):
        out |= {b} | {esc(b) for esc in _escapes()}
    return out


class View:
    """``text`` with the noise removed (``clean``, lower-cased in ``folded``) and the way
    back from a position in ``clean`` to one in ``text`` (built only when a needle is
    found: most files hold no secret, and ``re.sub`` alone is fast)."""

    def __init__(self, text: str, tags: bool = False) -> None:
        self._noise = _FAST_TAGS if tags else _FAST
        self._text = text
        self.clean = self._noise.sub("", text)
        self.folded = lower(self.clean)
        self._starts: list[int] = []   # where each kept piece starts in ``clean``
        self._origins: list[int] = []  # ... and in ``text``

    def _map(self) -> None:
        at, pos = 0, 0
        for m in self._noise.finditer(self._text):
            if m.start() > pos:
                self._starts.append(at)
                self._origins.append(pos)
                at += m.start() - pos
            pos = m.end()
        if pos < len(self._text):
            self._starts.append(at)
            self._origins.append(pos)

    def origin(self, i: int) -> int:
        if not self._starts:
            self._map()
        k = bisect.bisect_right(self._starts, i) - 1
        return self._origins[k] + (i - self._starts[k])

    def spans(self, needles: list[str]) -> list[tuple[int, int]]:
        """Original spans of every occurrence of each (folded) needle, merged."""
        found: list[tuple[int, int]] = []
        for needle in needles:
            i = self.folded.find(needle)
            while i >= 0:
                found.append((self.origin(i), self.origin(i + len(needle) - 1) + 1))
                i = self.folded.find(needle, i + 1)
        merged: list[tuple[int, int]] = []
        for start, end in sorted(found):
            if merged and start <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
            else:
                merged.append((start, end))
        return merged


def mask_spans(text: str, spans: list[tuple[int, int]], mask: str) -> str:
    out, pos = [], 0
    for start, end in spans:
        out += [text[pos:start], mask]
        pos = end
    out.append(text[pos:])
    return "".join(out)


def needle(form: str, tags: bool = False) -> str:
    """A form as it is looked for in a ``View``: noise removed, lower-cased."""
    return lower((_FAST_TAGS if tags else _FAST).sub("", form))
