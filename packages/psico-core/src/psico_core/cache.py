"""Django's Redis cache with one set of connections per process, also under ASGI.

``caches[alias]`` gives each thread, and under ASGI each request's or socket call's context,
an instance of its own, and Django's ``RedisCache`` keeps its connection pools on the
instance. Under ASGI that is a new pool, and so a new Redis connection, for nearly every use:
every throttled request, every chat message's budget. Opening one costs the connection and
its handshake (redis-py also reads its own version from the installed package metadata for
it, milliseconds of CPU) where a command on an open connection costs a fraction of a
millisecond.

:class:`RedisCache` is that backend with its client (which holds the pools) shared by every
instance with the same servers and options in the process. redis-py's pools and clients are
safe to share between threads, and a pool notices a fork and starts afresh in the child::

    CACHES = {"default": {"BACKEND": "psico_core.cache.RedisCache", "LOCATION": "redis://..."}}
"""

from __future__ import annotations

import re
import threading
from typing import Any, ClassVar

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient
from django.utils.functional import cached_property

__all__ = ["RedisCache"]


class RedisCache(DjangoRedisCache):
    """``django.core.cache.backends.redis.RedisCache`` whose connections every instance of
    the process shares (see the module's docstring)."""

    _clients: ClassVar[dict[str, RedisCacheClient]] = {}
    _clients_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, server: str | list[str], params: dict[str, Any]) -> None:
        super().__init__(server, params)
        # The servers and options as Django's backend reads them.
        self._shared_servers = re.split("[;,]", server) if isinstance(server, str) else server
        self._shared_options = params.get("OPTIONS", {})

    @cached_property
    def _cache(self) -> RedisCacheClient:
        # The options' repr is their identity here: settings give the same values each time.
        key = repr((self._shared_servers, sorted(self._shared_options.items())))
        with self._clients_lock:
            client = self._clients.get(key)
            if client is None:
                client = RedisCacheClient(self._shared_servers, **self._shared_options)
                self._clients[key] = client
        return client
