"""The channel layer (Redis) goes away and comes back under a real uvicorn.

A private redis-server on a free port is started and stopped by the test (never the shared
one). Skipped when redis-server is not installed or the database is not PostgreSQL (the
server process must share the test database); PSICO_REQUIRE_SERVICES=1 fails instead.
"""

from __future__ import annotations

import json
import os
import time

import httpx
import pytest
import websockets
from channels.db import database_sync_to_async

from tests.test_live import (
    ORIGIN,
    Server,
)

TRY_AGAIN_LATER = 1013


@pytest.fixture
def postgresql(transactional_db):
    # uvicorn, another process, must see the rows this test writes: an in-memory SQLite
    # database is this process's alone.
    from django.db import connection

    if connection.vendor != "postgresql":
        reason = f"the database is {connection.vendor}, not PostgreSQL"
        if os.environ.get("PSICO_REQUIRE_SERVICES") == "1":
            pytest.fail(f"PSICO_REQUIRE_SERVICES=1 but {reason}.")
        pytest.skip(f"Needs PostgreSQL: {reason}.")


@pytest.fixture
def server(postgresql, private_redis, transactional_db):
    running = Server.start(redis_url=private_redis.url)
    try:
        running.wait_until_ready()
        yield running
    finally:
        running.stop()


async def close_code(ws) -> int:
    with pytest.raises(websockets.ConnectionClosed) as closed:
        while True:
            await ws.recv()
    return closed.value.rcvd.code if closed.value.rcvd else None


async def chat_once(ws, text: str) -> dict:
    await ws.send(json.dumps({"type": "chat.message", "message": text}))
    frame = json.loads(await ws.recv())
    assert frame["type"] == "chat.message", frame
    return frame


@pytest.mark.django_db(transaction=True)
async def test_the_chat_survives_a_redis_outage(server, private_redis, appointment):
    from psico_accounts.testing.tokens import token_key_for

    token = await database_sync_to_async(token_key_for)(appointment.patient)
    url = server.ws_url(appointment.pk, token)

    async with websockets.connect(url, origin=ORIGIN) as open_socket:
        await chat_once(open_socket, "Antes del corte")

        private_redis.stop()
        # The socket that was open is closed with a code, not dropped.
        async with asyncio_timeout(15):
            assert await close_code(open_socket) == TRY_AGAIN_LATER

    # A new socket meanwhile is refused with the same documented code.
    async with websockets.connect(url, origin=ORIGIN) as refused:
        async with asyncio_timeout(15):
            assert await close_code(refused) == TRY_AGAIN_LATER

    # REST still stores the message, without waiting on the dead layer.
    async with httpx.AsyncClient(base_url=server.http_url, timeout=30) as http:
        started = time.monotonic()
        response = await http.post(
            f"/api/chat/{appointment.pk}/messages/",
            json={"message": "Durante el corte"},
            headers={"Authorization": f"Token {token}"},
        )
        elapsed = time.monotonic() - started
    assert response.status_code == 201, response.text
    # A guard against a hang (a store waiting on the dead layer), not a speed figure: the bound
    # leaves room for a loaded machine.
    assert elapsed < 10

    # Redis comes back on the same port: the very first socket works.
    private_redis.start()
    async with websockets.connect(url, origin=ORIGIN) as back:
        await back.send(json.dumps({"type": "resume", "after": 0}))
        replayed = []
        while (frame := json.loads(await back.recv()))["type"] == "chat.message":
            replayed.append(frame["message"])
        after = await chat_once(back, "Después del corte")

    assert replayed == ["Antes del corte", "Durante el corte"]
    assert after["message"] == "Después del corte"


def asyncio_timeout(seconds: float):
    import asyncio

    return asyncio.timeout(seconds)
