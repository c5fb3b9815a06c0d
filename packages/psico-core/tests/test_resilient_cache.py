"""Counters that survive an outage of the shared cache, on a real Redis of the test's own."""

import time

import pytest
from django.test import override_settings
from psico_core.resilient_cache import ResilientCache


def redis_cache(port: int) -> dict:
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }


def test_counts_go_to_the_shared_cache_and_to_memory_while_it_is_down(private_redis, caplog):
    counters = ResilientCache()
    with override_settings(CACHES=redis_cache(private_redis.port)):
        assert counters.add("k", 1, 60) is True
        assert counters.incr("k") == 2
        assert counters.shared.get("k") == 2
        private_redis.stop()
        # The shared cache is down: this process counts alone, and says so once.
        assert counters.get("k") is None
        counters.set("k", 10, 60)
        assert counters.incr("k") == 11
        assert "unavailable" in caplog.text
        private_redis.start()
        assert counters.get("k") == 11  # still left alone for RETRY_AFTER_SECONDS
        # Once the pause is over, the shared cache (restarted empty) counts again.
        counters._down_until = time.monotonic()
        counters.set("k", 5, 60)
        assert counters.shared.get("k") == 5
        assert counters.delete("k") is True


def test_reset_forgets_the_failure_and_the_local_counts():
    counters = ResilientCache()
    counters._down_until = time.monotonic() + 60
    counters.set("k", 1, 60)
    counters.reset()
    assert counters.get("k") is None
    assert counters._down_until == 0.0


@pytest.mark.parametrize("alias", ["default"])
def test_the_shared_cache_is_the_alias(alias):
    from django.core.cache import caches

    assert ResilientCache(alias).shared is caches[alias]


def test_count_adds_in_one_command_and_sets_the_timeout_once(private_redis):
    import redis

    counters = ResilientCache()
    with override_settings(CACHES=redis_cache(private_redis.port)):
        assert counters.count("c", 1, 60) == 1
        assert counters.count("c", 3, 60) == 4
        assert counters.shared.get("c") == 4
        raw = redis.Redis(port=private_redis.port)
        (key,) = raw.keys("*c")
        assert 0 < raw.ttl(key) <= 60
        raw.persist(key)
        counters.count("c", 1, 60)
        assert raw.ttl(key) == -1  # only a counter it creates gets the timeout
        raw.close()
        private_redis.stop()
        assert counters.count("c", 2, 60) == 2  # in this process's memory meanwhile
        private_redis.start()


def test_count_on_any_other_cache_adds_then_increments():
    counters = ResilientCache()
    counters.reset()
    with override_settings(
        CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    ):
        assert counters.count("c", 2, 60) == 2
        assert counters.count("c", 1, 60) == 3
        counters.shared.delete("c")
