from __future__ import annotations

import inspect

import pytest

# Layers an async test used, kept alive: their connections belong to event loops that are gone,
# and collecting them would only warn about it.
_RETIRED_LAYERS: list = []


@pytest.fixture(autouse=True)
async def _channel_layer_of_the_test(request):
    """With Redis, every async test gets a channel layer of its own, closed at its end.

    channels-redis keeps one asyncio lock per layer for its sockets' receives, bound to the
    event loop that first waited on it, and pytest-asyncio gives every test a new loop: a
    receive left waiting when an earlier test's loop ended would otherwise break every later
    test's sockets ("bound to a different event loop").
    """
    from channels.layers import DEFAULT_CHANNEL_LAYER, channel_layers
    from django.conf import settings

    backend = settings.CHANNEL_LAYERS.get(DEFAULT_CHANNEL_LAYER, {}).get("BACKEND", "")
    if not inspect.iscoroutinefunction(request.function) or "channels_redis" not in backend:
        yield
        return
    previous = channel_layers.backends.pop(DEFAULT_CHANNEL_LAYER, None)
    if previous is not None:
        _RETIRED_LAYERS.append(previous)
    yield
    layer = channel_layers.backends.pop(DEFAULT_CHANNEL_LAYER, None)
    if layer is not None:
        _RETIRED_LAYERS.append(layer)
        try:
            await layer.close_pools()
        except Exception:  # noqa: BLE001 - a connection of another (closed) loop
            pass


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Throttle history lives in the cache, and user ids repeat between tests.
    from django.core.cache import cache
    from psico_core.resilient_cache import resilient_cache

    def forget() -> None:
        cache.clear()
        # The counters' fallback memory and its "shared cache is down" mark outlive a test.
        resilient_cache.reset()

    forget()
    yield
    forget()


@pytest.fixture
def session_key_for(db):
    """``await session_key_for(user)``: the key of a real, stored login session of ``user``."""
    from channels.db import database_sync_to_async
    from django.test import Client

    @database_sync_to_async
    def make(user) -> str:
        client = Client()
        client.force_login(user)
        return client.session.session_key

    return make


@pytest.fixture
async def open_socket(chat_communicator):
    """``await open_socket(appointment_id, user=...)``: a socket accepted by the full test ASGI
    stack (origin check, session and token auth, routing), disconnected after the test."""
    from tests.asgi import application

    opened = []

    async def connect(appointment_id: int, **kwargs):
        communicator = await chat_communicator(appointment_id, application=application, **kwargs)
        opened.append(communicator)
        # The first handshake of a run imports and warms up a lot; on a busy machine that
        # can exceed WebsocketCommunicator's default second.
        connected, _ = await communicator.connect(timeout=10)
        assert connected
        return communicator

    yield connect
    for communicator in opened:
        await communicator.disconnect()


@pytest.fixture
async def refusal_code(open_socket):
    """``await refusal_code(appointment_id, ...)``: the close code a refused socket receives
    right after its handshake (the consumer accepts, then closes with a 44xx code)."""

    async def connect(appointment_id: int, **kwargs) -> int:
        communicator = await open_socket(appointment_id, **kwargs)
        message = await communicator.receive_output()
        assert message["type"] == "websocket.close", message
        return message["code"]

    return connect
