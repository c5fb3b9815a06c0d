"""The site while its Redis stops and comes back, through a real server and real clients.

A private ``redis-server`` on a free port (the shared one is never touched) backs a second live
server, two uvicorn workers on the suite's PostgreSQL database, for both the channel layer
(``REDIS_URL``) and the cache (``CACHE_URL``). Two chat sockets exchange a message, then that
Redis is shut down. What must still work without it: logging in, booking, posting a chat
message over REST (stored, and readable in the history); open sockets either keep working or
are closed with a code that tells the client to come back (never dropped without a close
frame); ``/healthz`` says 503. When Redis is back on the same port, ``/healthz`` answers 200
within seconds and a new socket connects on the first try and talks to the other participant.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from conftest import LiveServer, start_server, stop_server
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

pytestmark = pytest.mark.outage

HEALTH_RECOVERY_SECONDS = 10.0
FRAME_TIMEOUT = 10.0
# What a client may be told when the server loses its channel layer (RFC 6455 7.4.1): going
# away, service restart, try again later (1013, the one the psico-chat README documents).
# 1006 (no close frame at all) and 1011 (the server crashed) are what this test rules out.
CLEAN_CLOSE_CODES = {1001, 1012, 1013}


@dataclass
class OutageServer:
    base_url: str
    live: LiveServer

    @property
    def ws_url(self) -> str:
        return self.base_url.replace("http://", "ws://")


@pytest.fixture
def outage_server(live_server, private_redis, artifacts_dir) -> Iterator[OutageServer]:
    env = {
        **live_server.env,
        "REDIS_URL": private_redis.url,
        "CACHE_URL": f"rediscache://127.0.0.1:{private_redis.port}/1",
    }
    process, base_url = start_server(env, log_path=artifacts_dir / "uvicorn-outage.log", workers=2)
    try:
        yield OutageServer(base_url=base_url, live=live_server)
    finally:
        stop_server(process)


async def next_message(socket: ClientConnection, text: str) -> dict:
    """The ``chat.message`` frame carrying ``text`` (other frames are skipped)."""
    async with asyncio.timeout(FRAME_TIMEOUT):
        while True:
            frame = json.loads(await socket.recv())
            if frame.get("type") == "chat.message" and frame.get("message") == text:
                return frame


async def exchange(sender: ClientConnection, receiver: ClientConnection, text: str) -> None:
    await sender.send(json.dumps({"type": "chat.message", "message": text}))
    await next_message(sender, text)
    await next_message(receiver, text)


async def chat_url_for(http: httpx.AsyncClient, chat_url: str, account) -> str:
    """The socket URL with a fresh single-use ticket (``?token=`` where tickets do not exist)."""
    answer = await http.post("/api/chat/ticket/", headers=account.auth_header)
    if answer.status_code == 404:
        return f"{chat_url}?token={account.token}"
    assert answer.status_code == 201, (answer.status_code, answer.text[:200])
    return f"{chat_url}?ticket={answer.json()['ticket']}"


def close_code(closed: ConnectionClosed) -> int:
    return closed.rcvd.code if closed.rcvd else 1006


async def socket_after_outage(socket: ClientConnection, text: str) -> str:
    """How an open socket fares without Redis: still sending its own messages, or closed."""
    try:
        await socket.send(json.dumps({"type": "chat.message", "message": text}))
        await next_message(socket, text)
    except ConnectionClosed as closed:
        code = close_code(closed)
        return f"closed {code}" if code in CLEAN_CLOSE_CODES else f"dropped {code}"
    except TimeoutError:
        return "open but silent"
    return "working"


def test_the_site_survives_a_redis_outage(outage_server, private_redis):
    live = outage_server.live
    patient = live.accounts["outage_patient"]
    professional = live.accounts["outage_professional"]
    appointment = live.ids["outage_appointment"]
    chat_url = f"{outage_server.ws_url}/ws/chat/{appointment}/"
    origin = outage_server.base_url
    problems: list[str] = []

    async def scenario() -> None:
        async with httpx.AsyncClient(base_url=outage_server.base_url, timeout=10.0) as http:
            async with (
                connect(await chat_url_for(http, chat_url, patient), origin=origin) as ana,
                connect(await chat_url_for(http, chat_url, professional), origin=origin) as lucia,
            ):
                await exchange(ana, lucia, "antes del corte")

                private_redis.stop()

                login = await http.post(
                    "/api/auth/login/",
                    json={"email": patient.email, "password": patient.password},
                )
                if login.status_code != 200:
                    problems.append(f"login without Redis: {login.status_code} {login.text[:200]}")
                booking = await http.post(
                    "/api/appointments/appointments/",
                    headers=patient.auth_header,
                    json={
                        "psychologist": professional.id,
                        "appointment_date": (dt.date.today() + dt.timedelta(days=3)).isoformat(),
                        "start_time": "10:00",
                    },
                )
                if booking.status_code != 201:
                    problems.append(
                        f"booking without Redis: {booking.status_code} {booking.text[:200]}"
                    )
                posted = await http.post(
                    f"/api/chat/{appointment}/messages/",
                    headers=patient.auth_header,
                    json={"message": "enviado sin Redis"},
                )
                if posted.status_code != 201:
                    problems.append(
                        f"chat POST without Redis: {posted.status_code} {posted.text[:200]}"
                    )
                history = await http.get(
                    f"/api/chat/{appointment}/messages/", headers=professional.auth_header
                )
                stored = history.status_code == 200 and any(
                    item["message"] == "enviado sin Redis" for item in history.json()["results"]
                )
                if not stored:
                    problems.append(
                        f"chat history without Redis: {history.status_code} {history.text[:200]}"
                    )
                for name, socket in (("patient", ana), ("professional", lucia)):
                    fate = await socket_after_outage(socket, f"socket del {name} sin Redis")
                    print(f"open {name} socket without Redis: {fate}")
                    if fate != "working" and not fate.startswith("closed"):
                        problems.append(f"open {name} socket without Redis: {fate}")
                health = await http.get("/healthz")
                if health.status_code != 503:
                    problems.append(f"/healthz without Redis: {health.status_code}")

            private_redis.start()

            deadline = time.monotonic() + HEALTH_RECOVERY_SECONDS
            health_status = None
            while time.monotonic() < deadline:
                health_status = (await http.get("/healthz")).status_code
                if health_status == 200:
                    break
                await asyncio.sleep(0.2)
            if health_status != 200:
                problems.append(
                    f"/healthz {HEALTH_RECOVERY_SECONDS:g} s after Redis came back: {health_status}"
                )

            try:
                async with (
                    connect(await chat_url_for(http, chat_url, patient), origin=origin) as ana,
                    connect(
                        await chat_url_for(http, chat_url, professional), origin=origin
                    ) as lucia,
                ):
                    await exchange(ana, lucia, "después del corte, de Ana")
                    await exchange(lucia, ana, "después del corte, de Lucía")
            except ConnectionClosed as closed:
                problems.append(
                    f"new socket after Redis came back: closed with {close_code(closed)}"
                )
            except TimeoutError:
                problems.append("new sockets after Redis came back: a message did not arrive")

    asyncio.run(scenario())
    assert not problems, "\n".join(problems)
