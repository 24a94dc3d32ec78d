"""Read untrusted input files: size limits, UTF-8, strict YAML and strict JSON.

Every file aigov reads (the spec, policy templates, policy tests, profiles) may be
careless or hostile: a binary file, a 50 MB spec, a YAML alias bomb, JSON nested ten
thousand deep. Each is refused here, before any parser or validator walks it, with an
``InputError`` that names the file, the line (or the byte offset) and the fix, so the
command exits 2 quickly and with bounded memory. The limits and why they are what they
are: docs/contracts/input-limits.md.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.events import AliasEvent
from yaml.resolver import Resolver

from aigov.errors import InputError
from aigov.limits import LIMIT_ENV, size_limit

# Nesting: the spec's deepest legitimate path is an OU five levels under Root
# (organizational_units[].children[]... = about 12 levels); a policy document is
# Statement[].Condition.Operator.Key[] = 6 levels. Far below Python's recursion limit.
MAX_YAML_DEPTH = 64
MAX_JSON_DEPTH = 32
# YAML aliases: the nodes an alias-expanding walk would visit, in all. A spec has a few
# thousand nodes; a billion-laughs document has billions.
MAX_YAML_NODES = 200_000

def read_text(path: str | Path, kind: str = "data") -> str:
    """The text of ``path`` if it is at most the ``kind``'s size limit and valid UTF-8.

    Reads at most limit + 1 bytes, so a huge file costs nothing. Raises ``OSError`` for
    a file that cannot be opened (callers word that themselves) and ``InputError``
    otherwise.
    """
    limit = size_limit(kind)
    file = str(path)
    with open(path, "rb") as fh:
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise InputError(f"the file is larger than {limit:,} bytes, the limit for a {kind} "
                         "file", file=file, kind="too_large",
                         fix=f"shrink it, or raise the limit with {LIMIT_ENV[kind]}=BYTES "
                         "(see docs/contracts/input-limits.md)")
    return decode_utf8(data, file)


def decode_utf8(data: bytes, file: str = "") -> str:
    """Decode UTF-8 (a BOM is dropped); a bad byte is an ``InputError`` naming its offset
    and line, since Latin-1, UTF-16 and binary files all fail here."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        hint = " (it looks like UTF-16)" if data[:2] in (b"\xff\xfe", b"\xfe\xff") else ""
        raise InputError(f"not UTF-8{hint}: byte 0x{data[exc.start]:02x} at byte offset "
                         f"{exc.start} cannot be decoded", file=file, line=line,
                         kind="not_utf8", fix="save the file as UTF-8 (e.g. iconv -f "
                         "LATIN1 -t UTF-8 FILE), or point at the right file") from None


# -- YAML ------------------------------------------------------------------------------
# libyaml (PyYAML's C extension) turns text into events about ten times faster than
# PyYAML's pure-Python scanner and parser, and lazily, so a bomb stops being read at the
# first refusal. The node tree is still composed in Python (``yaml.composer.Composer``),
# so the depth bound below sees every level: libyaml's own composer
# (``CSafeLoader.get_single_node``) recurses in C with no bound. Without the extension
# the pure-Python parser gives the same events, only slower.
class _Checked(Composer):
    """PyYAML's composer with every structural check made while it composes, in one
    pass: nesting depth (composing recurses once per level, so thousands of levels would
    end in RecursionError), plain and unique mapping keys, and the size of the tree
    once aliases are expanded (composition is bottom-up, so each node's expanded size is
    known when it is done; an alias to a node not yet done is an alias inside its own
    anchor, ``&a [*a]``, a structure that contains itself)."""

    max_depth = MAX_YAML_DEPTH
    _depth = 0

    def compose_document(self) -> Any:
        self._sizes: dict[int, int] = {}  # id(node) -> nodes it expands to
        return super().compose_document()

    def compose_node(self, parent: Any, index: Any) -> Any:
        depth = self._depth + 1
        if depth > self.max_depth:
            raise InputError(f"YAML nested deeper than {self.max_depth} levels",
                             line=self._line(), kind="too_deep",
                             fix="flatten the structure; no aigov file needs this depth")
        sizes = self._sizes
        alias = self.check_event(AliasEvent)  # type: ignore[attr-defined]
        line = self._line()
        self._depth = depth
        try:
            node = super().compose_node(parent, index)
        finally:
            self._depth = depth - 1
        if alias:
            if id(node) not in sizes:
                raise InputError("a YAML alias refers to its own anchor (a structure "
                                 "that contains itself)", line=line, kind="aliases",
                                 fix="write the value out instead of the alias")
            return node
        total = 1
        if isinstance(node, yaml.MappingNode):
            _check_keys(node, "")
            total += sum(sizes[id(k)] + sizes[id(v)] for k, v in node.value)
        elif isinstance(node, yaml.SequenceNode):
            total += sum(sizes[id(v)] for v in node.value)
        if total > MAX_YAML_NODES:
            raise InputError(f"YAML aliases expand to more than {MAX_YAML_NODES:,} nodes "
                             "(an alias bomb?)", line=node.start_mark.line + 1,
                             kind="aliases", fix="write the values out or use fewer aliases")
        sizes[id(node)] = total
        return node

    def _line(self) -> int:
        return self.peek_event().start_mark.line + 1  # type: ignore[attr-defined]


if yaml.__with_libyaml__:
    from yaml._yaml import CParser

    class _StrictComposer(_Checked, CParser, Resolver):  # type: ignore[misc]
        """libyaml's events, composed and checked in Python."""

        def __init__(self, text: str) -> None:
            CParser.__init__(self, text)
            _Checked.__init__(self)
            Resolver.__init__(self)
else:  # pragma: no cover - PyYAML built without libyaml
    class _StrictComposer(_Checked, yaml.SafeLoader):  # type: ignore[no-redef]
        """PyYAML's pure-Python reader, scanner and parser, checked."""


def compose_yaml(text: str, file: str = "") -> yaml.Node | None:
    """Compose ``text`` to a node tree and check it: no duplicate or complex keys, a
    bounded depth and a bounded alias expansion. Raises ``InputError``, or
    ``yaml.YAMLError`` for a plain syntax error (``yaml_error`` words it)."""
    loader = _StrictComposer(text)
    try:
        node = loader.get_single_node()
    except InputError as exc:
        raise InputError(exc.message, file=file, line=exc.line, kind=exc.kind,
                         fix=exc.fix) from None
    except RecursionError:
        raise InputError("YAML nested too deep to read", file=file, kind="too_deep",
                         fix="flatten the structure") from None
    except yaml.MarkedYAMLError as exc:
        if "nesting depth" not in str(exc.problem):  # libyaml's own bound on flow levels
            raise
        mark = exc.problem_mark
        raise InputError(f"YAML nested deeper than {MAX_YAML_DEPTH} levels", file=file,
                         line=mark.line + 1 if mark else None, kind="too_deep",
                         fix="flatten the structure; no aigov file needs this depth") from None
    finally:
        loader.dispose()
    return node


def _check_keys(n: yaml.MappingNode, file: str) -> None:
    seen: dict[tuple[str, str], int] = {}
    for k, _ in n.value:
        line = k.start_mark.line + 1
        if not isinstance(k, yaml.ScalarNode):
            raise InputError("a mapping key is a list or a mapping (a YAML complex key, "
                             "`? [a, b]`)", file=file, line=line, kind="complex_key",
                             fix="use a plain string as the key")
        if k.tag == "tag:yaml.org,2002:merge":
            continue
        if (k.tag, k.value) in seen:
            raise InputError(f"duplicate key {k.value!r} (first at line "
                             f"{seen[(k.tag, k.value)]}); YAML would keep only the last",
                             file=file, line=line, kind="duplicate_key",
                             fix="merge the two entries into one, or rename one")
        seen[(k.tag, k.value)] = line


def load_yaml(text: str, file: str = "") -> Any:
    """Parse YAML strictly (``compose_yaml``'s checks) into Python data."""
    node = compose_yaml(text, file)
    if node is None:
        return None
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_document(node)
    finally:
        loader.dispose()


def read_yaml(path: str | Path, kind: str = "data") -> Any:
    """``read_text`` then ``load_yaml``; a syntax error is an ``InputError`` too."""
    text = read_text(path, kind)
    try:
        return load_yaml(text, str(path))
    except yaml.YAMLError as exc:
        raise yaml_error(exc, str(path)) from None


def yaml_error(exc: yaml.YAMLError, file: str) -> InputError:
    """A PyYAML syntax error as an ``InputError`` with its line and column."""
    mark = getattr(exc, "problem_mark", None)
    return InputError(f"YAML syntax error: {getattr(exc, 'problem', None) or exc}", file=file,
                      line=mark.line + 1 if mark else None,
                      column=mark.column + 1 if mark else None, kind="syntax",
                      fix="fix the YAML at that line (indentation, a missing ':' or an "
                      "unclosed quote)")


# -- JSON ------------------------------------------------------------------------------
def _line_of(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


# A control character in a policy string: a raw one (JSON forbids U+0000-U+001F raw, and
# U+007F-U+009F are as invisible) or an escape of one (``\n``, ``\t``, ``\u0000``...).
_RAW_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_ESCAPED_CONTROL = re.compile(r"\\(?:[bfnrt]|u00[01][0-9a-fA-F]|u007[fF]|u00[89][0-9a-fA-F])")
_ESCAPED_BACKSLASH = re.compile(r"\\\\")


def _control_in_string(body: str) -> str | None:
    """The first control character in the body of a JSON string (between its quotes),
    as ``U+XXXX``, or ``None``."""
    raw = _RAW_CONTROL.search(body)
    if raw:
        return f"U+{ord(raw.group()):04X}"
    escaped = _ESCAPED_CONTROL.search(_ESCAPED_BACKSLASH.sub("", body))
    if escaped is None:
        return None
    code = escaped.group()[1:]
    named = {"b": 8, "f": 12, "n": 10, "r": 13, "t": 9}
    return f"U+{named[code]:04X}" if code in named else f"U+{code[1:].upper()}"


def _shown(token: str) -> str:
    """A JSON string token as JSON with every control character escaped, shortened."""
    try:
        shown = json.dumps(json.loads(token, strict=False))
    except ValueError:
        shown = ascii(token)
    return shown if len(shown) <= 60 else shown[:56] + '..."'


def _scan_json(text: str, file: str, max_depth: int) -> None:
    """Refuse depth, bare NaN/Infinity and control characters in strings before
    ``json`` sees the text (the C scanner recurses, Python's accepts NaN, which IAM does
    not, and a string may carry a control character: docs/contracts/input-limits.md)."""
    depth, i, n = 0, 0, len(text)
    while i < n:
        ch = text[i]
        if ch == '"':
            start = i
            i += 1
            while i < n and text[i] != '"':
                i += 2 if text[i] == "\\" else 1
            control = _control_in_string(text[start + 1:i])
            if control:
                shown = _shown(text[start:i + 1])
                raise InputError(f"the string {shown} holds a control character ({control});"
                                 " no name, action, ARN, Sid, key or value of a policy does",
                                 file=file, line=_line_of(text, start), kind="control",
                                 fix="remove it (a template value ending in a newline: "
                                 "strip it, e.g. {{ value | trim | tojson }})")
        elif ch in "[{":
            depth += 1
            if depth > max_depth:
                raise InputError(f"JSON nested deeper than {max_depth} levels", file=file,
                                 line=_line_of(text, i), kind="too_deep",
                                 fix="a policy document needs at most 6 levels; flatten it")
        elif ch in "]}":
            depth -= 1
        elif ch in "NI-" and text.startswith(("NaN", "Infinity", "-Infinity"), i):
            raise InputError("NaN and Infinity are not JSON (IAM refuses them)", file=file,
                             line=_line_of(text, i), kind="nan",
                             fix="write a number or a quoted string")
        i += 1


def _no_duplicates(text: str, file: str) -> Callable[[list[tuple[str, Any]]], dict]:
    def hook(pairs: list[tuple[str, Any]]) -> dict:
        out: dict[str, Any] = {}
        for key, value in pairs:
            if key in out:
                at = text.find(json.dumps(key))
                second = text.find(json.dumps(key), at + 1) if at >= 0 else -1
                raise InputError(f"duplicate key {key!r}; JSON parsers keep only one of "
                                 "them, so the other's content would vanish", file=file,
                                 line=_line_of(text, second) if second >= 0 else None,
                                 kind="duplicate_key",
                                 fix="merge the two into one (e.g. one Statement list)")
            out[key] = value
        return out
    return hook


def load_json(text: str, file: str = "", max_depth: int = MAX_JSON_DEPTH) -> Any:
    """Parse JSON strictly: no duplicate keys, no NaN/Infinity, no control character in
    a string, at most ``max_depth`` levels. Raises ``InputError``, or ``json.JSONDecodeError`` for plain syntax errors
    (callers report those with their own code)."""
    _scan_json(text, file, max_depth)
    return json.loads(text, object_pairs_hook=_no_duplicates(text, file))
