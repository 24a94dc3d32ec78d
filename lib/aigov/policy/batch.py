"""``aigov simulate --batch``: the JSON Lines contract of docs/contracts/batch-simulation.md, line for line.

In: ``{"id", "scps": [[policy, ...], ...], "rcps": [[...], ...]?, "request": {"action",
"resource", "context"?, "principal"?, "account"?}}``. Out, one line per input line, in
order: ``{"id", "decision", "reason"}``, or ``{"id", "error"}`` for a malformed line
(the others are still answered; the exit code is 2 at the end). A policy that
``aigov lint`` calls malformed (an error of ``checks.wellformed``) is refused on its
line with lint's code, so the simulator and lint never disagree on what is malformed. Levels run from Root
down to the account; an SCP level ``[]`` has no Allow, so it denies; ``"scps": []``
means no SCPs apply. RCP levels list only custom RCPs: RCPFullAWSAccess is added to
each. A policy is named by its place, ``scps[1][0]``, in reasons and errors.

Parsed policies and whole chains are cached by their text once they come a second
time, so a corpus that repeats policies compiles each twice at most, and decisions are
cached per (effective policy set, request); each cache is bounded, so memory stays flat
on any stream.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from functools import lru_cache
from typing import IO, Any

import orjson

from aigov.errors import PolicySyntaxError
from aigov.policy.evaluate import Chain, Evaluator, Level, Request, make_request
from aigov.policy.jsonlines import answer_stream
from aigov.policy.managed import aws_managed_at
from aigov.policy.memo import SecondSight
from aigov.policy.parse import Policy, parse_policy
from aigov.policy.types import RCP, SCP

LINE_KEYS = {"id", "scps", "rcps", "request"}
REQUEST_KEYS = {"action", "resource", "context", "principal", "account"}


class BadLine(ValueError):
    """A line that does not follow the contract; the message says what and where, and
    ``case_id`` the line's id when it was read before the problem was found."""

    def __init__(self, message: str, case_id: Any = None) -> None:
        super().__init__(message)
        self.case_id = case_id


def read_line(line: bytes | str, keys: set[str]) -> dict[str, Any]:
    """One JSON Lines object with only ``keys`` (simulate's and prove's batch contracts)."""
    try:
        data = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raise BadLine(f"not JSON: {exc.msg} at column {exc.colno}") from None
    if not isinstance(data, dict):
        raise BadLine("a line is a JSON object")
    if not keys.issuperset(data):
        unknown = set(data) - keys
        raise BadLine(f"unknown key(s) {', '.join(sorted(unknown))} "
                      f"(known: {', '.join(sorted(keys))})", data.get("id"))
    return data


class BatchSimulator:
    """Answers contract lines; keeps compiled policies and decisions between lines."""

    def __init__(self, cache_limit: int = 4_000) -> None:
        # A long stream of new policies stays in flat memory: each cache is bounded
        # (4,000 documents, chains or decisions) and keeps only what came twice
        # (``memo.SecondSight``). Requests rarely repeat, so only whole decisions are cached,
        # not each policy's result per request.
        self.evaluator = Evaluator(limit=cache_limit, share_levels=False)
        # Compiled documents by their text, per policy type (the same text compiles to
        # another policy as an RCP).
        self._documents: dict[str, SecondSight[str | bytes, Policy]] = {
            SCP: SecondSight(cache_limit), RCP: SecondSight(cache_limit)}
        self._policies: dict[tuple[str, str, str | bytes], Policy] = {}
        self._chains: SecondSight[tuple[str, tuple[tuple[str | bytes, ...], ...]], Chain] = \
            SecondSight(cache_limit)
        self._limit = cache_limit
        # A line's RCP levels list only custom RCPs: the AWS-managed ones are added here.
        self._rcp_managed = [parse_policy(m.document, name=m.name, policy_type=RCP)
                             for m in aws_managed_at(RCP)]

    def _policy(self, raw: Any, text: str | bytes, name: str, ptype: str,
                documents: SecondSight[str | bytes, Policy]) -> Policy:
        """The compiled policy ``raw`` (``text``: its text, ``document_keys``; ``documents``:
        the cache of its type)."""
        compiled = documents.get(text)
        if compiled is None:
            try:
                compiled = parse_policy(raw, name=name, policy_type=ptype, custom=True)
            except PolicySyntaxError as exc:
                raise BadLine(exc.message) from None
            documents.offer(text, compiled)
        if compiled.name == name:
            return compiled
        # The same document at another position (another name) shares its compiled
        # statements and its per-action index; only the name differs.
        key = (name, ptype, text)
        named = self._policies.get(key)
        if named is None:
            if len(self._policies) >= self._limit:
                self._policies.clear()
            named = self._policies[key] = replace(compiled, name=name)
        return named

    def chain(self, raw: Any, field: str) -> Chain:
        """The compiled chain of a line's ``scps`` or ``rcps`` (prove's batch reads lines
        as this one does); ``BadLine`` when it breaks the contract."""
        return self._chain(raw, field)[0]

    def _chain(self, raw: Any, field: str) -> tuple[Chain, bool]:
        """The compiled chain of a line's ``scps`` or ``rcps``, cached by its policies'
        texts (``document_keys``), so lines that repeat a policy path reuse one ``Chain``
        and everything cached for it; and whether it was seen before (from its second
        line on, it is cached, and so are its decisions)."""
        keys = document_keys(raw, field)
        key = (field, keys)
        got = self._chains.get(key)
        if got is not None:
            return got, True
        got = self._compile_chain(raw, field, keys)
        return got, self._chains.offer(key, got)

    def _compile_chain(self, raw: list[list[Any]], field: str,
                       keys: tuple[tuple[str | bytes, ...], ...]) -> Chain:
        kind, ptype = ("SCP", SCP) if field == "scps" else ("RCP", RCP)
        levels = []
        policy, documents = self._policy, self._documents[ptype]
        for i, lv in enumerate(raw):
            label, names = _names(field, i, len(lv))
            texts = keys[i]
            pols = self._rcp_managed.copy() if kind == "RCP" else []
            for j, p in enumerate(lv):  # a loop, not a comprehension: no frame per level
                pols.append(policy(p, texts[j], names[j], ptype, documents))
            levels.append(Level(label, tuple(pols)))
        return Chain(kind, tuple(levels))

    def _request(self, raw: Any) -> Request:
        if not isinstance(raw, dict):
            raise BadLine("request is a JSON object with action and resource")
        if not REQUEST_KEYS.issuperset(raw):
            unknown = set(raw) - REQUEST_KEYS
            raise BadLine(f"request: unknown key(s) {', '.join(sorted(unknown))} "
                          f"(known: {', '.join(sorted(REQUEST_KEYS))})")
        action, resource = raw.get("action"), raw.get("resource", "*")
        if not isinstance(action, str) or ":" not in action:
            raise BadLine("request.action must be a string service:Action, e.g. s3:GetObject")
        if not isinstance(resource, str) or not resource:
            raise BadLine("request.resource must be a non-empty string (an ARN or *)")
        ctx = raw.get("context") or {}
        if not isinstance(ctx, dict):
            raise BadLine("request.context must be an object")
        for k, v in ctx.items():
            if type(v) is not str and not (isinstance(v, str) or (
                    isinstance(v, list) and all(isinstance(x, str) for x in v))):
                raise BadLine(f"request.context[{k!r}] must be a string or a list of strings")
        for k in ("principal", "account"):
            if k in raw and not isinstance(raw[k], str):
                raise BadLine(f"request.{k} must be a string")
        return make_request(action, resource, ctx, raw.get("principal"), raw.get("account"))

    def answer(self, line: bytes | str) -> dict[str, Any]:
        """One output object for one input line (never raises on bad input)."""
        case_id: Any = None
        try:
            data = read_line(line, LINE_KEYS)
            case_id = data.get("id")
            if "request" not in data:
                raise BadLine("missing request")
            scps, seen = self._chain(data.get("scps", []), "scps")
            rcps = None
            if "rcps" in data:
                rcps, seen_rcps = self._chain(data["rcps"], "rcps")
                seen = seen and seen_rcps
            req = self._request(data["request"])
        except BadLine as exc:
            return {"id": case_id if exc.case_id is None else exc.case_id, "error": str(exc)}
        # A chain seen before may meet a request it already answered; a new one cannot.
        d = (self.evaluator.decide(req, scps, rcps) if seen
             else self.evaluator.decide_once(req, scps, rcps))
        return {"id": case_id, "decision": d.decision, "reason": d.reason}


def document_keys(raw: Any, field: str) -> tuple[tuple[str | bytes, ...], ...]:
    """Each policy's text, level by level: a JSON string as given, an object as orjson
    encodes it (the same object always encodes the same). Together they are the chain's
    cache key, and each is its document's, so a line is encoded once; ``BadLine`` when
    ``raw`` is not a list of levels of policies."""
    if type(raw) is not list:
        raise BadLine(f"{field} is a list of levels, each a list of policies")
    out = []
    for i, lv in enumerate(raw):
        if type(lv) is not list:
            raise BadLine(f"{field} is a list of levels, each a list of policies")
        texts: list[str | bytes] = []
        for j, p in enumerate(lv):
            if type(p) is dict:
                texts.append(orjson.dumps(p))
            elif type(p) is str:
                texts.append(p)
            else:
                raise BadLine(f"{field}[{i}][{j}]: a policy is a JSON object or a JSON string")
        out.append(tuple(texts))
    return tuple(out)


@lru_cache(maxsize=1_024)
def _names(field: str, level: int, count: int) -> tuple[str, tuple[str, ...]]:
    """``scps[1]`` and its policies' names ``scps[1][0]``, ``scps[1][1]``... (a stream
    names the same few positions on every line)."""
    return f"{field}[{level}]", tuple(f"{field}[{level}][{j}]" for j in range(count))


def run_batch(infile: IO[Any], outfile: IO[Any]) -> int:
    """Answer every line of ``infile`` on ``outfile`` (``jsonlines``: read and written a
    block at a time); 2 if any line was malformed."""
    sim = BatchSimulator()
    with _collections_between_lines() as between:
        return answer_stream(infile, outfile, sim.answer, _grade, between)


def _grade(out: dict[str, Any]) -> int:
    return 2 if "error" in out else 0


# Lines between two collections of the young objects. One collection walks what the
# caches hold (about 0.2 s at their limits), so it comes seldom: it only bounds what a
# cycle nobody foresaw could hold (tests/test_batch.py checks that lines make none).
COLLECT_EVERY = 100_000


@contextmanager
def _collections_between_lines() -> Iterator[Callable[[int], None]]:
    """Run with the cyclic garbage collector off, and collect the young objects only
    after a block of lines that took the count past a multiple of ``COLLECT_EVERY``
    (the callable is given the lines answered so far). Compiling a stream of new
    policies allocates many small containers and makes no cycles (a 200,000-line
    stream leaves none to collect), yet the collector, started by allocation counts,
    walked the caches' young objects again and again: about a fifth of the CPU time on
    new policies, even with a high threshold. Reference counting frees everything a
    line leaves behind. What was imported before the batch is frozen, out of every
    collection; the collector's state comes back afterwards."""
    enabled = gc.isenabled()
    gc.freeze()
    gc.disable()
    collected = 0

    def between(lines: int) -> None:
        nonlocal collected
        if lines // COLLECT_EVERY > collected:
            collected = lines // COLLECT_EVERY
            gc.collect(0)
    try:
        yield between
    finally:
        # Everything the batch left alive joins the oldest generation, and the count of
        # young objects starts again at zero (``freeze`` resets it): enabled with the
        # count of the whole batch, the collector would walk all of it on the next
        # allocation.
        gc.freeze()
        gc.unfreeze()
        if enabled:
            gc.enable()
