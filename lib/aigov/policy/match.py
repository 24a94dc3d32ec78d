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

from aigov.policy.memo import second_sight

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


def _glob_parts(text: str, arn: bool, resource: bool) -> tuple[str, ...] | None:
    """The literal runs between ``*``s when ``text`` can be matched as one glob over the
    whole value, without a regex: only ``*`` wildcards (no ``?``), and in the first five
    parts of an ARN none that must stay inside its part. In a Resource ARN a ``*`` that
    ends its part runs across colons (see the module docstring), so it may stand there.
    Such a glob matches when the value starts with the first run, ends with the last,
    and holds the others in order between them (greedy leftmost search is exact for
    ``*``-only globs)."""
    if "?" in text:
        return None
    if arn:
        for part in text.split(":", 5)[:5]:  # every part before the fifth colon
            if "*" in part and not (resource and part.endswith("*")
                                    and "*" not in part[:-1]):
                return None
    return tuple(text.split("*"))


def _arn_parts(text: str) -> tuple[tuple[str, ...], ...] | None:
    """Per-part globs of an ARN pattern whose wildcards stay inside their part (ArnLike):
    the five head parts and the resource part, each split at its ``*``s."""
    if "?" in text:
        return None
    parts = text.split(":", 5)
    return tuple(tuple(p.split("*")) for p in parts) if len(parts) == 6 else None


def _arn_match(parts: tuple[tuple[str, ...], ...], value: str) -> bool:
    got = value.split(":", 5)
    return len(got) == 6 and all(
        (g == p[0]) if len(p) == 1 else _glob_match(p, g)
        for p, g in zip(parts, got, strict=True))


def _glob_match(parts: tuple[str, ...], value: str) -> bool:
    first, last = parts[0], parts[-1]
    if len(value) < len(first) + len(last) or not value.startswith(first) \
            or not value.endswith(last):
        return False
    pos, end = len(first), len(value) - len(last)
    for run in parts[1:-1]:
        found = value.find(run, pos, end)
        if found < 0:
            return False
        pos = found + len(run)
    return True


class Pattern:
    """One pattern: a literal, a wildcard pattern, or one with policy variables.

    ``wildcards=False`` is for operators that compare exactly (``StringEquals``), where
    ``*`` is an ordinary character; ``ignore_case`` for actions and ``*IgnoreCase``.

    Built to be cheap, since a stream of new policies builds many: a literal is a string
    compare, a ``*``-only glob is matched by ``startswith``/``find``/``endswith``
    (``glob``), and only the rest compiles a regular expression, on first use. ``pattern()``
    shares one ``Pattern`` per distinct text and flags across every document.
    """

    __slots__ = ("text", "ignore_case", "arn", "resource", "wildcards", "tokens", "wild",
                 "exact", "glob", "arn_glob", "_regex", "_parts", "has_variables", "_cache")

    def __init__(self, text: str, *, wildcards: bool = True, ignore_case: bool = False,
                 arn: bool = False, variables: bool = False, resource: bool = False) -> None:
        self.text = text
        self.ignore_case = ignore_case
        self.wildcards = wildcards
        self.arn = (arn or resource) and text.startswith("arn:")
        self.resource = resource and self.arn
        self._cache: dict[tuple[str, ...], re.Pattern[str] | str] | None = None
        self.exact: str | None = None
        self.glob: tuple[str, ...] | None = None
        self.arn_glob: tuple[tuple[str, ...], ...] | None = None
        self._regex: re.Pattern[str] | None = None
        self._parts: list[tuple[str, bool]] | None = None
        if not variables or "${" not in text:
            # Most patterns: one literal run, no variable (what tokenize would return).
            self.tokens, self.wild, self.has_variables = (text,), (True,), False
            parts = [(text, True)]
        else:
            self.tokens, self.wild = tokenize(text, variables=variables,
                                              resource_part_only=self.resource)
            self.has_variables = any(isinstance(t, Variable) for t in self.tokens)
            if self.has_variables:
                return
            parts = [(t, w) for t, w in zip(self.tokens, self.wild, strict=True)
                     if isinstance(t, str)]
        if len(parts) == 1:  # without generators: a stream of new policies builds many
            one, wild = parts[0]
            literal = one if not (wildcards and wild and ("*" in one or "?" in one)) else None
        elif not wildcards or not any(w and ("*" in t or "?" in t) for t, w in parts):
            literal = "".join(t for t, _ in parts)
        else:
            literal = None
        if literal is not None:
            self.exact = literal.lower() if ignore_case else literal
        elif len(parts) == 1 and (glob := _glob_parts(parts[0][0], self.arn,
                                                      self.resource)) is not None:
            self.glob = tuple(g.lower() for g in glob) if ignore_case else glob
        elif (len(parts) == 1 and self.arn and not self.resource and not ignore_case
              and (arn_glob := _arn_parts(parts[0][0])) is not None):
            self.arn_glob = arn_glob
        else:
            self._parts = parts  # compiled on first use (``regex``)

    @property
    def regex(self) -> re.Pattern[str] | None:
        """The compiled expression of a pattern that is neither literal nor a glob."""
        if self._regex is None and self._parts is not None:
            self._regex = self._compile(self._parts)
        return self._regex

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
        if self._parts is not None or self.glob is not None or self.arn_glob is not None:
            if self.glob is not None or self.arn_glob is not None:
                return self._parts_regex()
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
        if self._cache is None:
            self._cache = {}
        hit = self._cache.get(key)
        if hit is None:
            it = iter(values)
            parts = [(next(it), False) if isinstance(tok, Variable) else (tok, w)
                     for tok, w in zip(self.tokens, self.wild, strict=True)]
            hit = self._compile(parts)
            if len(self._cache) < 1024:
                self._cache[key] = hit
        return hit

    def _parts_regex(self) -> re.Pattern[str]:
        """The regex of a glob pattern, for callers that want one (``resolve``)."""
        if self._regex is None:
            self._regex = self._compile([(t, w) for t, w in zip(self.tokens, self.wild,
                                                                 strict=True)])
        return self._regex

    def matches(self, value: str, context: Context | None = None) -> bool:
        if self.glob is not None:
            return _glob_match(self.glob, value.lower() if self.ignore_case else value)
        if self.arn_glob is not None:
            return _arn_match(self.arn_glob, value)
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
    globs tried one by one, the rest as one alternation (compiled on first use), variable
    ones checked one by one."""

    __slots__ = ("patterns", "star", "exact", "globs", "arn_globs", "_wild", "_regex",
                 "dynamic", "ignore_case", "_memo")

    def __init__(self, patterns: Sequence[Pattern]) -> None:
        self.patterns = tuple(patterns)
        self.ignore_case = bool(self.patterns) and self.patterns[0].ignore_case
        # One pass (a stream of new policies builds many sets, most of one pattern).
        star = False
        exact: list[str] = []
        globs: list[tuple[str, ...]] = []
        arn_globs: list[tuple[tuple[str, ...], ...]] = []
        wild: list[Pattern] = []
        dynamic: list[Pattern] = []
        for p in self.patterns:
            star = star or p.is_star
            if p.exact is not None:
                exact.append(p.exact)
            elif p.glob is not None:
                globs.append(p.glob)
            elif p.arn_glob is not None:
                arn_globs.append(p.arn_glob)
            elif p._parts is not None:
                wild.append(p)
            if p.has_variables:
                dynamic.append(p)
        self.star = star
        self.exact = frozenset(exact)
        self.globs, self.arn_globs = tuple(globs), tuple(arn_globs)
        self._wild, self.dynamic = tuple(wild), tuple(dynamic)
        self._regex: re.Pattern[str] | None = None
        self._memo: dict[str, bool] = {}

    @property
    def regex(self) -> re.Pattern[str] | None:
        if self._regex is None and self._wild:
            flags = re.IGNORECASE | re.DOTALL if self.ignore_case else re.DOTALL
            self._regex = re.compile("|".join(f"(?:{p.regex.pattern})"  # type: ignore[union-attr]
                                              for p in self._wild), flags)
        return self._regex

    def matches(self, value: str, context: Context | None = None) -> bool:
        if self.star:
            return True
        probe = value.lower() if self.ignore_case else value
        if probe in self.exact:
            return True
        for g in self.globs:  # loops, not any(generator): most sets hold one pattern
            if _glob_match(g, probe):
                return True
        for ag in self.arn_globs:
            if _arn_match(ag, value):
                return True
        if self._wild and self.regex.fullmatch(value) is not None:  # type: ignore[union-attr]
            return True
        return any(p.matches(value, context) for p in self.dynamic)

    def matches_memo(self, value: str) -> bool:
        """``matches`` without a context, remembered per value: for a set that is shared
        (``parse`` interns Action lists) and asked about few distinct values (actions)."""
        hit = self._memo.get(value)
        if hit is None:
            if len(self._memo) >= 1_024:
                self._memo.clear()
            hit = self._memo[value] = self.matches(value)
        return hit

    def first_match(self, value: str, context: Context | None = None) -> str | None:
        """The text of the first pattern that matches (for explanations)."""
        return next((p.text for p in self.patterns if p.matches(value, context)), None)


@second_sight(16_384)
def pattern(text: str, *, wildcards: bool = True, ignore_case: bool = False, arn: bool = False,
            variables: bool = False, resource: bool = False) -> Pattern:
    """The shared ``Pattern`` for ``text`` and these flags (a ``Pattern`` never changes
    after it is built, so every document may hold the same one) from its second use on;
    bounded, so a stream of new policies keeps flat memory (``memo``)."""
    return Pattern(text, wildcards=wildcards, ignore_case=ignore_case, arn=arn,
                   variables=variables, resource=resource)


def wildcard(text: str, *, ignore_case: bool = False) -> Pattern:
    """``text`` as an IAM wildcard pattern (``*`` and ``?``; ``[`` is an ordinary
    character, unlike ``fnmatch``), compiled once per text: the one matcher lint's
    checks and the catalogue use for action names and service prefixes."""
    return pattern(text, ignore_case=ignore_case)


def action_matches(pattern_text: str, action: str) -> bool:
    """Does the Action element value ``pattern_text`` cover ``action``? Case-insensitive,
    as IAM compares action names (IAM JSON policy elements: Action)."""
    return wildcard(pattern_text, ignore_case=True).matches(action)
