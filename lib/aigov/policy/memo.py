"""Caches that keep a value only when its key comes a second time.

A stream of new policies (``aigov simulate --batch`` on a fuzzer's or a CI job's
output) brings documents, chains and resource patterns that nearly all come once. An
ordinary bounded cache holds each until it is evicted or cleared, long after its line,
and then frees it with thousands of others, out of the processor's caches; on such a
stream that clearing and eviction took about a third of the CPU time, and the
interpreter's final collection walked whatever was still held. Kept only on a second
sight (a "doorkeeper", as cache admission policies call it), what comes once dies with
its line, and what repeats is built twice instead of once. Keys seen are remembered by
hash only, so a collision merely keeps something early.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")
R = TypeVar("R")


class SecondSight(Generic[K, V]):
    """A bounded cache (cleared when full) that keeps a value offered a second time."""

    __slots__ = ("_items", "_seen", "_limit", "_seen_limit", "get")

    def __init__(self, limit: int) -> None:
        self._items: dict[K, V] = {}
        self._seen: set[int] = set()
        self._limit, self._seen_limit = limit, 4 * limit
        # The dict's own ``get``: a lookup costs no Python call of ours.
        self.get: Callable[[K], V | None] = self._items.get

    def offer(self, key: K, value: V) -> bool:
        """Keep ``value`` if ``key`` was offered before; and say whether it was."""
        h = hash(key)
        seen = self._seen
        if h in seen:
            items = self._items
            if len(items) >= self._limit:
                items.clear()
            items[key] = value
            return True
        if len(seen) >= self._seen_limit:
            seen.clear()
        seen.add(h)
        return False

    def clear(self) -> None:
        self._items.clear()
        self._seen.clear()

    def __len__(self) -> int:
        return len(self._items)


def second_sight(limit: int) -> Callable[[Callable[..., R]], Callable[..., R]]:
    """``functools.lru_cache`` for a function of hashable arguments whose results are
    never changed by callers, keeping a result from the second call with the same
    arguments on (``SecondSight``)."""
    def decorate(fn: Callable[..., R]) -> Callable[..., R]:
        cache: SecondSight[Any, R] = SecondSight(limit)

        get, offer = cache.get, cache.offer

        @wraps(fn)
        def memo(*args: Any, **kwargs: Any) -> R:
            key = (args, *kwargs.items()) if kwargs else args
            got = get(key)
            if got is None:
                got = fn(*args, **kwargs)
                offer(key, got)
            return got
        memo.cache_clear = cache.clear  # type: ignore[attr-defined]
        return memo
    return decorate
