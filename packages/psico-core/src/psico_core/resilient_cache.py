"""A cache for counters that must not fail the request when the shared cache is down.

Throttle counters live in Django's default cache, which production points at Redis so that
every process counts together. When that Redis is unreachable, a login or a chat message must
still be answered: the counters fall back to this process's memory (each process then counts
alone, so limits are looser, never absent) and return to the shared cache by themselves once
it answers again. docs/security.md states the trade-off.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache

logger = logging.getLogger(__name__)

# After a failure the shared cache is left alone for this long, so an outage costs one failed
# connection attempt per process every few seconds, not one per request.
RETRY_AFTER_SECONDS = 5.0

_local = LocMemCache("psico-resilient-cache", {"OPTIONS": {"MAX_ENTRIES": 100_000}})

# INCRBY, and the timeout on the key it has just created: one round trip, atomic, any Redis.
_COUNT_SCRIPT = """
local count = redis.call('INCRBY', KEYS[1], ARGV[1])
if count == tonumber(ARGV[1]) then
    redis.call('EXPIRE', KEYS[1], ARGV[2])
end
return count
"""


def _count(cache, key: str, delta: int, timeout: int) -> int:
    """:meth:`ResilientCache.count` on one Django cache."""
    if isinstance(cache, RedisCache):
        # Django's incr is EXISTS then INCRBY, and add is a third command: a script does it
        # all at once. The counter is a plain integer, as RedisCache stores ints.
        client = cache._cache.get_client(key, write=True)
        script = client.register_script(_COUNT_SCRIPT)
        return int(script(keys=[cache.make_and_validate_key(key)], args=[delta, int(timeout)]))
    if cache.add(key, delta, timeout):
        return delta
    try:
        return cache.incr(key, delta)
    except ValueError:
        # Gone between add and incr (expired, or the cache fell back to a store without it).
        cache.set(key, delta, timeout)
        return delta


class ResilientCache:
    """The subset of Django's cache API the counters use, over ``caches[alias]``, falling back
    to a process-local memory cache while the shared one raises."""

    def __init__(self, alias: str = "default") -> None:
        self.alias = alias
        self._down_until = 0.0

    @property
    def shared(self):
        return caches[self.alias]

    def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        return self._run(lambda cache: getattr(cache, method)(*args, **kwargs))

    def _run(self, operation) -> Any:
        if time.monotonic() >= self._down_until:
            try:
                return operation(self.shared)
            except Exception:
                self._down_until = time.monotonic() + RETRY_AFTER_SECONDS
                logger.warning(
                    "The cache %r is unavailable; counting in this process for %.0f s.",
                    self.alias,
                    RETRY_AFTER_SECONDS,
                    exc_info=True,
                )
        return operation(_local)

    def reset(self) -> None:
        """Forget a past failure and the process-local counters (for tests: the shared cache
        is cleared by ``cache.clear()``, these are not)."""
        self._down_until = 0.0
        _local.clear()

    def get(self, key: str, default: Any = None) -> Any:
        return self._call("get", key, default)

    def set(self, key: str, value: Any, timeout: float | None = None) -> None:
        self._call("set", key, value, timeout)

    def add(self, key: str, value: Any, timeout: float | None = None) -> bool:
        return self._call("add", key, value, timeout)

    def incr(self, key: str, delta: int = 1) -> int:
        return self._call("incr", key, delta)

    def delete(self, key: str) -> bool:
        return self._call("delete", key)

    def count(self, key: str, delta: int, timeout: int) -> int:
        """Add ``delta`` to the counter ``key`` and return its new value; a missing counter
        starts from 0 and expires ``timeout`` seconds after it was created.

        On Redis one round trip (a script); elsewhere ``add``, then ``incr`` when the key
        was there already.
        """
        return self._run(lambda cache: _count(cache, key, delta, timeout))


resilient_cache = ResilientCache()
