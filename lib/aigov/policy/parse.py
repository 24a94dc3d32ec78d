"""Compile SCP and RCP documents into policies, once, for many evaluations.

The grammar is not here: it lives once, in ``checks/`` (``checks/wellformed.py`` lists
the checks, ``checks/grammar.py`` and ``checks/values.py`` hold them), and lint reads
it too. The compiler runs those checks on the document model lint reads
(``checks/document.PolicyDoc``) and refuses a document with the first error they find,
as a ``PolicySyntaxError`` naming the policy, the statement, the element and lint's code
(and the line, when the document came from a file). Then it compiles what the checks
accepted, cheaply: actions at once (the per-action index needs them), each statement's
resources and conditions only when a request first reaches that statement, and every
Action list, Resource list and condition pattern shared across documents (the Resource
lists and patterns from their second use, ``memo``). Sources: IAM JSON policy element
reference; AWS Organizations User Guide, "SCP syntax" and "RCP syntax".
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from aigov.errors import InputError, PolicySyntaxError
from aigov.findings import Finding
from aigov.policy.checks.document import PolicyDoc, as_list
from aigov.policy.checks.grammar import STATEMENT_ELEMENTS, TOP_ELEMENTS, action_format, sid_format
from aigov.policy.checks.values import ANY_TEXT, bad_text
from aigov.policy.checks.wellformed import first_error
from aigov.policy.conditions import (
    Condition,
    known_operator,
    parse_condition_block,
    split_operator,
)
from aigov.policy.match import Context, Pattern, PatternSet, pattern
from aigov.policy.memo import SecondSight
from aigov.policy.types import SCP


@lru_cache(maxsize=8_192)
def _action_set(texts: tuple[str, ...]) -> PatternSet:
    return PatternSet([pattern(a, ignore_case=True) for a in texts])


# A Resource list's patterns, per "policy variables allowed", keyed by its one text or
# its tuple of texts (a string keeps its hash; a new tuple is hashed again per lookup).
_RESOURCE_SETS: tuple[SecondSight[str | tuple[str, ...], PatternSet], ...] = (
    SecondSight(4_096), SecondSight(4_096))


def _resource_set(texts: tuple[str, ...], variables: bool) -> PatternSet:
    """A Resource list's patterns, shared by every document with the same list from its
    second use on. Each pattern is its own (``Pattern``, not ``pattern``): the list is
    the unit that repeats, while a stream of new policies brings a new ARN with nearly
    every statement a request reaches, and interning each cost more than building it."""
    cache = _RESOURCE_SETS[variables]
    key = texts[0] if len(texts) == 1 else texts
    got = cache.get(key)
    if got is None:
        got = PatternSet([Pattern(r, resource=True, variables=variables) for r in texts])
        cache.offer(key, got)
    return got


class Statement:
    """One compiled statement. ``index`` is its position in the policy (0-based).

    ``resources`` and ``conditions`` are compiled on first use: most statements of a
    new document are never reached by a request whose action they do not name."""

    __slots__ = ("index", "sid", "effect", "actions", "not_action", "not_resource",
                 "_resources", "_conditions", "_raw", "_variables")

    def __init__(self, index: int, sid: str, effect: str, actions: PatternSet,
                 not_action: bool, not_resource: bool, raw: dict[str, Any],
                 variables: bool) -> None:
        self.index, self.sid, self.effect = index, sid, effect
        self.actions, self.not_action, self.not_resource = actions, not_action, not_resource
        self._raw, self._variables = raw, variables
        self._resources: PatternSet | None = None
        self._conditions: tuple[Condition, ...] | None = None

    @property
    def resources(self) -> PatternSet:
        if self._resources is None:
            raw = self._raw["NotResource" if self.not_resource else "Resource"]
            texts = (raw,) if type(raw) is str else tuple(as_list(raw))
            self._resources = _resource_set(texts, self._variables)
        return self._resources

    @property
    def conditions(self) -> tuple[Condition, ...]:
        if self._conditions is None:
            block = self._raw.get("Condition")
            self._conditions = (parse_condition_block(block, variables=self._variables)
                                if block else ())
        return self._conditions

    def label(self) -> str:
        return f"statement {self.index}" + (f" ({self.sid})" if self.sid else "")

    def action_matches(self, action: str) -> bool:
        return self.actions.matches_memo(action) != self.not_action

    def applies(self, resource: str, ctx: Context) -> bool:
        """Resource and conditions (the action was checked first, through the index)."""
        if self.resources.matches(resource, ctx) == self.not_resource:
            return False
        conditions = self.conditions
        return not conditions or all(c.holds(ctx) for c in conditions)

    def __repr__(self) -> str:
        return f"Statement({self.label()}, {self.effect})"


@dataclass(eq=False)
class Policy:
    """A compiled policy: its statements split by effect, and a per-action index.
    ``source`` is the document model lint reads (``PolicyDoc``), when the policy was
    compiled from one (a file's, with its lines)."""

    name: str
    type: str
    document: dict[str, Any]
    statements: tuple[Statement, ...]
    _by_action: dict[str, tuple[tuple[Statement, ...], tuple[Statement, ...]]] = field(
        default_factory=dict, repr=False)
    source: PolicyDoc | None = field(default=None, repr=False)

    def candidates(self, action: str) -> tuple[tuple[Statement, ...], tuple[Statement, ...]]:
        """``(denies, allows)`` whose Action/NotAction match ``action`` (lower case).

        Cached per action: a matrix asks the same actions of the same policy many times.
        """
        hit = self._by_action.get(action)
        if hit is None:
            denies: list[Statement] = []
            allows: list[Statement] = []
            for s in self.statements:
                if s.actions.matches_memo(action) != s.not_action:  # s.action_matches
                    (denies if s.effect == "Deny" else allows).append(s)
            hit = self._by_action[action] = (tuple(denies), tuple(allows))
        return hit


def syntax_error(name: str, f: Finding) -> PolicySyntaxError:
    """The compiler's refusal of policy ``name`` for finding ``f``: ``policy 'x',
    statement 1, Condition.DateLessThan.aws:CurrentTime: ... (POLICY_CONDITION_VALUE)``."""
    where = [f"policy {name!r}"]
    path = list(f.path)
    if "statement" in f.location:
        where.append(f"statement {f.location['statement']}")
        path = path[2:] if len(path) > 1 and isinstance(path[1], int) else path[1:]
    element = ".".join(str(p) for p in path) or f.location.get("element")
    if element:
        where.append(element)
    line = f.location.get("line")
    return PolicySyntaxError(f"{', '.join(where)}: {f.message} ({f.code})",
                             file=f.file or None, location=str(line) if line else None,
                             fix=f.fix or None)


def load_document(document: Any, name: str) -> Any:
    """A policy given as JSON text, decoded (with aigov.inputs' limits)."""
    if not isinstance(document, str):
        return document
    from aigov.inputs import load_json  # with its YAML reader: only for JSON text

    try:
        return load_json(document)
    except json.JSONDecodeError as exc:
        raise PolicySyntaxError(f"policy {name!r}: not JSON: {exc.msg} at line {exc.lineno} "
                                f"column {exc.colno}",
                                fix="check commas, quotes and brackets") from None
    except InputError as exc:
        raise PolicySyntaxError(f"policy {name!r}: {exc.message} (line {exc.line})",
                                fix=exc.fix) from None


def parse_policy(document: Any, *, name: str = "policy", policy_type: str = SCP,
                 custom: bool = False) -> Policy:
    """Check and compile one SCP or RCP: a dict, its JSON text, or a ``PolicyDoc``.

    ``custom``: hold the document to every rule of a policy someone wrote, as lint does
    (``checks.wellformed.error_checks``); otherwise to the rules of any document AWS
    holds, its own managed policies included.

    >>> p = parse_policy({"Version": "2012-10-17", "Statement": {"Effect": "Deny",
    ...     "Action": "s3:*", "Resource": "*"}}, name="no-s3")
    >>> [s.label() for s in p.statements]
    ['statement 0']
    """
    if type(document) is dict:  # the batch's usual case, asked first
        raw, source = document, None
    elif isinstance(document, PolicyDoc):
        raw, source = document.document, document
    else:
        raw, source = load_document(document, name), None
    if policy_type == SCP:
        statements = _plain_statements(raw)
        if statements is not None:
            return Policy(name, SCP, raw, statements, source=source)
    doc = source or PolicyDoc(document=raw, type=policy_type, name=name)
    error = first_error(doc, custom=custom)
    if error is not None:
        raise syntax_error(name, error)
    return _compile(doc, name, source)


_SCP_STATEMENT = frozenset(STATEMENT_ELEMENTS - {"Principal", "NotPrincipal"})


def plainly_well_formed(document: Any) -> bool:
    """True when an SCP is, at a glance, one that no error check can refuse: Version
    2012-10-17, only known elements, no Principal, every action well formed, resources
    non-empty strings, Sids letters and digits and distinct, condition values strings
    their operators compare.

    One walk, without building findings: most documents a simulator or a linter meets
    are like this, and ``first_error`` (five checks, each walking the document and
    locating what it finds) costs several times more. It answers ``False`` for anything
    less plain (a ``null``, a number, a Null operator with a qualifier...), and the full
    checks then decide, so it never accepts what they refuse; ``tests/test_one_grammar``
    holds the compiler, and so this, to refusing exactly what lint calls an error.
    """
    return _plain_statements(document) is not None


def _plain_statements(document: Any) -> tuple[Statement, ...] | None:
    """The compiled statements of a plainly well-formed SCP (``plainly_well_formed``),
    checked and compiled in one walk; ``None`` when it is not plainly well formed."""
    if type(document) is not dict or document.get("Version") != "2012-10-17" \
            or not TOP_ELEMENTS.issuperset(document):
        return None
    statements = document.get("Statement")
    if type(statements) is dict:
        statements = (statements,)
    elif type(statements) is not list or not statements:
        return None
    sids: set[str] = set()
    out = []
    for i, stmt in enumerate(statements):
        if type(stmt) is not dict or not _SCP_STATEMENT.issuperset(stmt):
            return None
        effect = stmt.get("Effect")
        if effect != "Deny" and effect != "Allow":
            return None
        actions = stmt.get("Action")
        not_action = actions is None
        if not_action:
            if "Action" in stmt:  # "Action": null
                return None
            actions = stmt.get("NotAction")
        elif "NotAction" in stmt:
            return None
        if type(actions) is str:
            if not action_format(actions):
                return None
            texts: tuple[str, ...] = (actions,)
        elif type(actions) is list and actions:
            for a in actions:
                if type(a) is not str or not action_format(a):
                    return None
            texts = tuple(actions)
        else:
            return None
        resources = stmt.get("Resource")
        not_resource = resources is None
        if not_resource:
            if "Resource" in stmt:
                return None
            resources = stmt.get("NotResource")
        elif "NotResource" in stmt:
            return None
        if type(resources) is str:
            if not resources:
                return None
        elif type(resources) is list and resources:
            for r in resources:
                if type(r) is not str or not r:
                    return None
        else:
            return None
        sid = stmt.get("Sid")
        if sid is not None:
            if type(sid) is not str or sid in sids or not sid_format(sid):
                return None
            sids.add(sid)
        elif "Sid" in stmt:
            return None
        condition = stmt.get("Condition")
        if condition is not None and not _plain_condition(condition):
            return None
        if condition is None and "Condition" in stmt:
            return None
        out.append(Statement(i, sid or "", effect, _action_set(texts), not_action,
                             not_resource, stmt, True))
    return tuple(out)


def _plain_condition(block: Any) -> bool:
    if type(block) is not dict:
        return False
    for op, keys in block.items():
        plain = _plain_operator(op)
        if plain is None or type(keys) is not dict or not keys:
            return False
        base, any_text = plain
        for value in keys.values():
            if type(value) is str:
                if not any_text and bad_text(base, value) is not None:
                    return False
            elif type(value) is list and value:
                for v in value:
                    if type(v) is not str or (not any_text and bad_text(base, v) is not None):
                        return False
            else:
                return False
    return True


@lru_cache(maxsize=1_024)
def _plain_operator(op: str) -> tuple[str, bool] | None:
    """An operator a plain document may use: its base operator and whether it takes any
    text (``values.ANY_TEXT``); ``None`` for an unknown one, or Null with a qualifier
    (a few dozen operator texts recur across any number of documents)."""
    qualifier, base, if_exists = split_operator(op)
    if not known_operator(qualifier, base) or (base == "Null" and (qualifier or if_exists)):
        return None
    return base, base in ANY_TEXT


def _compile(doc: PolicyDoc, name: str, source: PolicyDoc | None) -> Policy:
    """Compile a document ``first_error`` accepted (nothing is checked again here)."""
    # Policy variables exist only in version 2012-10-17 (IAM reference, "Version").
    variables = doc.document.get("Version", "2008-10-17") == "2012-10-17"
    statements = []
    for i, stmt in doc.statements():
        not_action = "Action" not in stmt
        actions = _action_set(tuple(as_list(stmt["NotAction" if not_action else "Action"])))
        statements.append(Statement(i, stmt.get("Sid", ""), stmt["Effect"], actions,
                                    not_action, "Resource" not in stmt, stmt, variables))
    return Policy(name=name, type=doc.type, document=doc.document,
                  statements=tuple(statements), source=source)
