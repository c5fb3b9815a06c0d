from __future__ import annotations

import socket

import pytest
from psico_chat.health import channel_layer_ok


async def test_the_configured_layer_answers():
    assert await channel_layer_ok() is True


async def test_no_layer_configured_is_not_ok(settings):
    settings.CHANNEL_LAYERS = {}

    assert await channel_layer_ok() is False


@pytest.fixture
def closed_port():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    yield sock.getsockname()[1]
    sock.close()


async def test_an_unreachable_redis_is_not_ok(settings, closed_port):
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [f"redis://127.0.0.1:{closed_port}/0"]},
        }
    }

    assert await channel_layer_ok(timeout=0.5) is False
