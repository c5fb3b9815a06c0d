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

logger = logging.getLogger(__name__)

# After a failure the shared cache is left alone for this long, so an outage costs one failed
# connection attempt per process every few seconds, not one per request.
RETRY_AFTER_SECONDS = 5.0

_local = LocMemCache("psico-resilient-cache", {"OPTIONS": {"MAX_ENTRIES": 100_000}})


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
        if time.monotonic() >= self._down_until:
            try:
                return getattr(self.shared, method)(*args, **kwargs)
            except Exception:
                self._down_until = time.monotonic() + RETRY_AFTER_SECONDS
                logger.warning(
                    "The cache %r is unavailable; counting in this process for %.0f s.",
                    self.alias,
                    RETRY_AFTER_SECONDS,
                    exc_info=True,
                )
        return getattr(_local, method)(*args, **kwargs)

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


resilient_cache = ResilientCache()
