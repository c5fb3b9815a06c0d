"""The channel layer (Redis) goes away and comes back under a real uvicorn.

A private redis-server on a free port is started and stopped by the test (never the shared
one). Skipped when redis-server is not installed or the database is not PostgreSQL (the
server process must share the test database); PSICO_REQUIRE_SERVICES=1 fails instead.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time

import httpx
import pytest
import websockets
from channels.db import database_sync_to_async

from tests.test_live import (
    ORIGIN,
    Server,
    _free_port,
)

TRY_AGAIN_LATER = 1013


def _missing() -> str | None:
    from django.db import connection

    if shutil.which("redis-server") is None:
        return "redis-server is not installed"
    if connection.vendor != "postgresql":
        return f"the database is {connection.vendor}, not PostgreSQL"
    return None


class PrivateRedis:
    def __init__(self) -> None:
        self.port = _free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            ping = subprocess.run(
                ["redis-cli", "-p", str(self.port), "ping"], capture_output=True, text=True
            )
            if ping.stdout.strip() == "PONG":
                return
            time.sleep(0.1)
        pytest.fail("the private redis-server did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)


@pytest.fixture
def private_redis():
    reason = _missing()
    if reason is not None:
        if os.environ.get("PSICO_REQUIRE_SERVICES") == "1":
            pytest.fail(f"PSICO_REQUIRE_SERVICES=1 but {reason}.")
        pytest.skip(f"Needs redis-server and PostgreSQL: {reason}.")
    redis = PrivateRedis()
    redis.start()
    try:
        yield redis
    finally:
        redis.stop()


@pytest.fixture
def server(private_redis, transactional_db):
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
    from rest_framework.authtoken.models import Token

    token = (await database_sync_to_async(Token.objects.get_or_create)(user=appointment.patient))[
        0
    ].key
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

    # REST still stores the message, and fast: a refused connection costs no seconds.
    async with httpx.AsyncClient(base_url=server.http_url) as http:
        started = time.monotonic()
        response = await http.post(
            f"/api/chat/{appointment.pk}/messages/",
            json={"message": "Durante el corte"},
            headers={"Authorization": f"Token {token}"},
        )
        elapsed = time.monotonic() - started
    assert response.status_code == 201, response.text
    assert elapsed < 2

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
