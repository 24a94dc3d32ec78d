"""Wildcard patterns of the IAM policy language, compiled once and matched many times.

IAM JSON policy element reference: action names match case-insensitively, with ``*``
(any run of characters) and ``?`` (one character); resource ARNs match case-sensitively,
and a wildcard in one of the first five colon-separated ARN parts stays inside that part
("each part of the ARN is matched separately"; the resource part may contain colons),
except that in the Resource element "if the ``*`` wildcard is the last character of a
resource ARN segment, it can expand to match beyond the colon boundaries" (IAM JSON
policy elements: Resource, "Using wildcards in resource ARNs"): ``arn:aws:ec2:*``
matches an instance ARN, ``arn:aws:sqs:us-east-1:*`` a queue.
Policy variables (``${aws:PrincipalTag/team}``, with ``, 'default'`` where AWS supports
it) are filled from the request context; ``${*}``, ``${?}`` and ``${$}`` are the
literal characters. A variable with no value and no default matches nothing (IAM
reference, "Policy variables": "the variable is not replaced ... the statement does not
match"). In a Resource ARN a variable is filled only in the resource part, after the
fifth colon ("You can't use a variable to replace parts of the ARN before the fifth
colon, such as the service or account", IAM "Policy variables", "Where you can use
policy variables"); before it, ``${...}`` is literal text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

# ${name} or ${name, 'default'}; the name may hold ':' and '/', not '}'.
_VAR_RE = re.compile(r"\$\{([^}]*)\}")
_DEFAULT_RE = re.compile(r"^\s*([^,]+?)\s*,\s*'([^']*)'\s*$")
_LITERAL_VARS = {"*": "*", "?": "?", "$": "$"}

Context = Mapping[str, tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class Variable:
    """A policy variable: the context key (lower case) and its default, if any."""

    key: str
    default: str | None


Token = str | Variable  # literal text (wildcards kept as '*'/'?' chars) or a variable


def tokenize(text: str, *, variables: bool, resource_part_only: bool = False,
             ) -> tuple[tuple[Token, ...], tuple[bool, ...]]:
    """Split ``text`` into literal runs and variables.

    Returns the tokens and, per token, whether its ``*``/``?`` are wildcards (``False``
    for the escapes ``${*}``, ``${?}``, ``${$}``, which stand for the characters).
    ``resource_part_only`` (a Resource ARN) keeps a ``${...}`` before the fifth colon as
    literal text: IAM substitutes variables only in the resource part of an ARN.
    """
    if not variables or "${" not in text:
        return (text,), (True,)
    tokens: list[Token] = []
    wild: list[bool] = []
    pos = 0
    colons = 0
    for m in _VAR_RE.finditer(text):
        if m.start() > pos:
            tokens.append(text[pos:m.start()])
            wild.append(True)
            colons += text.count(":", pos, m.start())
        inner = m.group(1)
        if resource_part_only and colons < 5:
            tokens.append(m.group(0))
            wild.append(False)
        elif inner in _LITERAL_VARS:
            tokens.append(_LITERAL_VARS[inner])
            wild.append(False)
        else:
            dm = _DEFAULT_RE.match(inner)
            name, default = (dm.group(1), dm.group(2)) if dm else (inner.strip(), None)
            tokens.append(Variable(name.lower(), default))
            wild.append(False)
        pos = m.end()
    if pos < len(text):
        tokens.append(text[pos:])
        wild.append(True)
    return tuple(tokens), tuple(wild)


def _regex_of(parts: Sequence[tuple[str, bool]], *, arn: bool, resource: bool = False) -> str:
    """Regex source for literal runs; ``arn`` keeps wildcards inside their ARN part, and
    ``resource`` (the Resource element) lets a ``*`` ending a part run across colons.

    Only the policy's own colons delimit parts: a colon inside a substituted variable
    value or a literal ``${...}`` is text, not a part boundary.
    """
    chars = [(ch, wild) for text, wild in parts for ch in text]
    out: list[str] = []
    colons = 0
    for i, (ch, wild) in enumerate(chars):
        in_head = arn and colons < 5
        if wild and ch == "*":
            ends_part = i + 1 == len(chars) or chars[i + 1] == (":", True)
            out.append("[^:]*" if in_head and not (resource and ends_part) else ".*")
        elif wild and ch == "?":
            out.append("[^:]" if in_head else ".")
        else:
            out.append(re.escape(ch))
        if ch == ":" and wild:
            colons += 1
    return "".join(out)


class Pattern:
    """One pattern: a literal, a wildcard pattern, or one with policy variables.

    ``wildcards=False`` is for operators that compare exactly (``StringEquals``), where
    ``*`` is an ordinary character; ``ignore_case`` for actions and ``*IgnoreCase``.
    """

    __slots__ = ("text", "ignore_case", "arn", "resource", "wildcards", "tokens", "wild",
                 "exact", "regex", "has_variables", "_cache")

    def __init__(self, text: str, *, wildcards: bool = True, ignore_case: bool = False,
                 arn: bool = False, variables: bool = False, resource: bool = False) -> None:
        self.text = text
        self.ignore_case = ignore_case
        self.wildcards = wildcards
        self.arn = (arn or resource) and text.startswith("arn:")
        self.resource = resource and self.arn
        self.tokens, self.wild = tokenize(text, variables=variables,
                                          resource_part_only=self.resource)
        self._cache: dict[tuple[str, ...], re.Pattern[str] | str] = {}
        self.exact: str | None = None
        self.regex: re.Pattern[str] | None = None
        self.has_variables = any(isinstance(t, Variable) for t in self.tokens)
        if self.has_variables:
            return
        parts = [(t, w) for t, w in zip(self.tokens, self.wild, strict=True)
                 if isinstance(t, str)]
        if not wildcards or not any(w and ("*" in t or "?" in t) for t, w in parts):
            literal = "".join(t for t, _ in parts)
            self.exact = literal.lower() if ignore_case else literal
        else:
            self.regex = self._compile(parts)

    @property
    def is_star(self) -> bool:
        return self.wildcards and self.text == "*"

    def _compile(self, parts: Sequence[tuple[str, bool]]) -> re.Pattern[str]:
        if not self.wildcards:
            parts = [(t, False) for t, _ in parts]
        src = _regex_of(parts, arn=self.arn, resource=self.resource)
        return re.compile(src, re.IGNORECASE | re.DOTALL if self.ignore_case else re.DOTALL)

    def resolve(self, context: Context | None) -> re.Pattern[str] | str | None:
        """The pattern with its variables filled from ``context`` (lower-case keys):
        a regex, an exact string, or ``None`` when a variable has no value."""
        if self.exact is not None:
            return self.exact
        if self.regex is not None:
            return self.regex
        values: list[str] = []
        for tok in self.tokens:
            if isinstance(tok, Variable):
                got = (context or {}).get(tok.key)
                if got is not None and len(got) == 1:
                    values.append(got[0])
                elif tok.default is not None and not got:
                    values.append(tok.default)
                else:  # missing, or multivalued (AWS: not usable as a variable)
                    return None
        key = tuple(values)
        hit = self._cache.get(key)
        if hit is None:
            it = iter(values)
            parts = [(next(it), False) if isinstance(tok, Variable) else (tok, w)
                     for tok, w in zip(self.tokens, self.wild, strict=True)]
            hit = self._compile(parts)
            if len(self._cache) < 1024:
                self._cache[key] = hit
        return hit

    def matches(self, value: str, context: Context | None = None) -> bool:
        got = self.resolve(context)
        if got is None:
            return False
        if isinstance(got, str):
            return (value.lower() if self.ignore_case else value) == got
        return got.fullmatch(value) is not None

    def __repr__(self) -> str:
        return f"Pattern({self.text!r})"


class PatternSet:
    """Several patterns ORed (an Action list, a Resource list): literal ones in a set,
    wildcard ones in one alternation, variable ones checked one by one."""

    __slots__ = ("patterns", "star", "exact", "regex", "dynamic", "ignore_case")

    def __init__(self, patterns: Sequence[Pattern]) -> None:
        self.patterns = tuple(patterns)
        self.star = any(p.is_star for p in self.patterns)
        self.ignore_case = bool(self.patterns) and self.patterns[0].ignore_case
        self.exact = frozenset(p.exact for p in self.patterns if p.exact is not None)
        wild = [p.regex for p in self.patterns if p.regex is not None]
        flags = re.IGNORECASE | re.DOTALL if self.ignore_case else re.DOTALL
        self.regex = (re.compile("|".join(f"(?:{r.pattern})" for r in wild), flags)
                      if wild else None)
        self.dynamic = tuple(p for p in self.patterns if p.has_variables)

    def matches(self, value: str, context: Context | None = None) -> bool:
        if self.star:
            return True
        probe = value.lower() if self.ignore_case else value
        if probe in self.exact:
            return True
        if self.regex is not None and self.regex.fullmatch(value) is not None:
            return True
        return any(p.matches(value, context) for p in self.dynamic)

    def first_match(self, value: str, context: Context | None = None) -> str | None:
        """The text of the first pattern that matches (for explanations)."""
        return next((p.text for p in self.patterns if p.matches(value, context)), None)


@lru_cache(maxsize=8192)
def wildcard(text: str, *, ignore_case: bool = False) -> Pattern:
    """``text`` as an IAM wildcard pattern (``*`` and ``?``; ``[`` is an ordinary
    character, unlike ``fnmatch``), compiled once per text: the one matcher lint's
    checks and the catalogue use for action names and service prefixes."""
    return Pattern(text, ignore_case=ignore_case)


def action_matches(pattern: str, action: str) -> bool:
    """Does the Action element value ``pattern`` cover ``action``? Case-insensitive, as
    IAM compares action names (IAM JSON policy elements: Action)."""
    return wildcard(pattern, ignore_case=True).matches(action)
