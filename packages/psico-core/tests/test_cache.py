"""psico_core.cache.RedisCache: one set of Redis connections per process, on a real Redis."""

import asyncio
import contextvars

import redis
from asgiref.sync import sync_to_async
from django.core.cache import caches
from django.test import override_settings
from psico_core.cache import RedisCache


def cache_settings(backend: str, port: int) -> dict:
    return {
        "default": {
            "BACKEND": backend,
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }


def clients_of(port: int) -> int:
    """How many connections the Redis at ``port`` holds, besides the one asking."""
    with redis.Redis(port=port) as admin:
        return len(admin.client_list()) - 1


def count_in_fresh_contexts(times: int) -> list[int]:
    """Use ``caches["default"]`` ``times`` times, each from a fresh context on the default
    thread pool, as an ASGI request or a chat socket's call does."""

    def use() -> int:
        return caches["default"].incr("hits") if caches["default"].has_key("hits") else 0

    async def main() -> list[int]:
        call = sync_to_async(use, thread_sensitive=False)
        # Each task in an empty context, so each call gets a cache instance of its own.
        return [
            await asyncio.create_task(call(), context=contextvars.Context()) for _ in range(times)
        ]

    caches["default"].set("hits", 0)

    return asyncio.run(main())


def test_instances_in_fresh_contexts_share_one_connection(private_redis):
    backend = "psico_core.cache.RedisCache"
    with override_settings(CACHES=cache_settings(backend, private_redis.port)):
        assert count_in_fresh_contexts(20) == list(range(1, 21))
        # (Django's own RedisCache opens a connection per instance: 10 were left open here.)
        # One pool for every instance: the calls took turns on the connection it opened.
        assert clients_of(private_redis.port) == 1


def test_instances_with_the_same_settings_share_the_client():
    params = {"OPTIONS": {"socket_timeout": 1.0}}
    first = RedisCache("redis://127.0.0.1:1/0", params)
    second = RedisCache("redis://127.0.0.1:1/0", params)
    other_server = RedisCache("redis://127.0.0.1:2/0", params)
    other_options = RedisCache("redis://127.0.0.1:1/0", {"OPTIONS": {"socket_timeout": 2.0}})

    assert first is not second
    assert first._cache is second._cache
    assert other_server._cache is not first._cache
    assert other_options._cache is not first._cache


def test_a_restarted_redis_is_reconnected(private_redis):
    backend = "psico_core.cache.RedisCache"
    with override_settings(CACHES=cache_settings(backend, private_redis.port)):
        caches["default"].set("k", 1)
        private_redis.stop()
        private_redis.start()
        # The shared pool's connection died with the old server; the next command reconnects.
        caches["default"].set("k", 2)
        assert caches["default"].get("k") == 2
