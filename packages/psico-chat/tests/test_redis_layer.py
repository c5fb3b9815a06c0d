"""The channels-redis layer of :func:`psico_chat.redis_layer.redis_channel_layer` after Redis
restarts: the pool's connections to the old server are replaced on the first try.

A private redis-server on a free port (never the shared one) is stopped and started again on
the same port. Skipped without redis-server (a failure under PSICO_REQUIRE_SERVICES=1).
"""

from __future__ import annotations

import asyncio

import pytest
from channels_redis.core import RedisChannelLayer
from psico_chat.redis_layer import READ_TIMEOUT_SECONDS, redis_channel_layer
from redis.exceptions import ConnectionError as RedisConnectionError

SOCKETS = 3


async def layer_with_pooled_connections(config: dict) -> tuple[RedisChannelLayer, list[str]]:
    """A layer whose pool holds several connections, each used once: one per socket joining."""
    layer = RedisChannelLayer(**config)
    channels = [await layer.new_channel() for _ in range(SOCKETS)]
    # Concurrent joins each take a connection of their own from the pool.
    await asyncio.gather(*(layer.group_add("before", channel) for channel in channels))
    return layer, channels


def test_the_layer_reads_longer_than_channels_redis_blocks():
    [host] = redis_channel_layer("redis://127.0.0.1:6379/0")["CONFIG"]["hosts"]

    assert host["address"] == "redis://127.0.0.1:6379/0"
    # channels-redis blocks for 5 s (BZPOPMIN) waiting for a socket's next event.
    assert host["socket_timeout"] == READ_TIMEOUT_SECONDS > 5


async def test_after_a_restart_every_socket_joins_and_receives_on_the_first_try(private_redis):
    layer, channels = await layer_with_pooled_connections(
        redis_channel_layer(private_redis.url)["CONFIG"]
    )
    try:
        private_redis.stop()
        private_redis.start()

        for channel in channels:
            await layer.group_add("after", channel)
        await layer.group_send("after", {"type": "chat.message", "message": "de vuelta"})
        for channel in channels:
            async with asyncio.timeout(10):
                assert await layer.receive(channel) == {
                    "type": "chat.message",
                    "message": "de vuelta",
                }
    finally:
        await layer.close_pools()


async def test_without_the_retry_a_restart_fails_the_first_command(private_redis):
    # What the retry is for: a plain host's pool hands out a connection to the old server.
    layer, channels = await layer_with_pooled_connections({"hosts": [private_redis.url]})
    try:
        private_redis.stop()
        private_redis.start()

        with pytest.raises(RedisConnectionError):
            await layer.group_add("after", channels[0])
    finally:
        await layer.close_pools()
