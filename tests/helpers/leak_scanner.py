"""A secret scanner written apart from aigov's redactor, for the leak-probe test.

The redactor *encodes* each secret into every spelling and looks for those; this scanner
goes the other way and *decodes* what it finds: every file as UTF-8, UTF-16 (both byte
orders) and, when gzip-compressed, its content; each text un-escaped (HTML, percent,
JSON/Python backslash escapes), stripped of ANSI escapes, tags, line breaks and
whitespace, lower-cased; every base64 (either alphabet) or hex run decoded at each
offset. A secret found in any of those views is a leak.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import contextlib
import gzip
import html
import re
import warnings
from pathlib import Path
from urllib.parse import unquote, unquote_plus

_ANSI = re.compile(r"(?:\x1b|\\u001b|\\x1b|\\033)\[[0-9;?]*[A-Za-z]", re.I)
_TAG = re.compile(r"<[^<>]*>")
_JOIN = re.compile(r'\\n"\s*,\s*"')
_B64 = re.compile(r"[A-Za-z0-9+/_\-=\s\\n]{12,}")
_HEX = re.compile(r"(?:[0-9a-fA-F]{2}){6,}")


def _squash(text: str) -> str:
    text = _JOIN.sub("", text)
    text = _ANSI.sub("", text)
    text = text.replace("\\n", "").replace("\\r", "")
    return re.sub(r"\s", "", text).lower()


def _unescapes(text: str) -> list[str]:
    views = [text, html.unescape(text), unquote(text), unquote_plus(text),
             unquote(unquote(text)), html.unescape(unquote(text))]
    try:
        with warnings.catch_warnings():  # "invalid escape sequence": ordinary backslashes
            warnings.simplefilter("ignore", DeprecationWarning)
            views.append(codecs.decode(text.encode("latin-1", "backslashreplace"),
                                       "unicode_escape"))
    except (UnicodeDecodeError, ValueError):
        pass
    views.append(text.replace('\\"', '"').replace("\\\\", "\\"))
    return views + [_TAG.sub("", v) for v in views]


def _decoded_runs(text: str) -> list[bytes]:
    out = []
    for m in _B64.finditer(text):
        run = re.sub(r"\s|\\n", "", m.group()).replace("-", "+").replace("_", "/").rstrip("=")
        for k in range(4):
            chunk = run[k:]
            if len(chunk) % 4 == 1:
                chunk = chunk[:-1]  # one stray character cannot be decoded
            chunk += "=" * (-len(chunk) % 4)
            try:
                out.append(base64.b64decode(chunk, validate=False))
            except (binascii.Error, ValueError):
                continue
    for m in _HEX.finditer(text):
        for k in range(2):
            chunk = m.group()[k:]
            out.append(bytes.fromhex(chunk[: len(chunk) - len(chunk) % 2]))
    return out


def _texts(data: bytes) -> list[str]:
    blobs = [data]
    if data[:2] == b"\x1f\x8b":
        with contextlib.suppress(OSError, EOFError):
            blobs.append(gzip.decompress(data))
    texts = []
    for blob in blobs:
        for enc in ("utf-8", "utf-16", "utf-16-le", "utf-16-be", "latin-1"):
            try:
                texts.append(blob.decode(enc))
            except UnicodeDecodeError:
                continue
    return texts


def find_leaks(root: Path, secrets: list[str]) -> list[tuple[str, str, str]]:
    """``(file, secret, how)`` for every secret found under ``root``, links included."""
    leaks = []
    wanted = {s: _squash(s) for s in secrets}
    for path in sorted(p for p in root.rglob("*") if p.is_file() or p.is_symlink()):
        rel = str(path.relative_to(root))
        if path.is_symlink():
            leaks.append((rel, "", "a symlink under outputs/"))
            continue
        data = path.read_bytes()
        for secret in secrets:
            if secret.encode() in data or secret.encode("utf-16-le") in data:
                leaks.append((rel, secret, "bytes"))
        for text in _texts(data):
            for view in _unescapes(text):
                squashed = _squash(view)
                leaks += [(rel, s, "text") for s, w in wanted.items() if w in squashed]
                for raw in _decoded_runs(view):
                    leaks += [(rel, s, "decoded") for s in secrets if s.encode() in raw]
    return sorted(set(leaks))
