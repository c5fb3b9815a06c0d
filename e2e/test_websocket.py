"""The chat socket through the real server (uvicorn, Redis channel layer), as a mobile client
sees it: close codes on the wire, the origin check at the handshake, the token kept out of logs.

The unit-level access cases (every actor, session and token) live in site/tests/test_ws_access.py;
these prove the same answers survive a real server and a real client library.
"""

from __future__ import annotations

import asyncio
import json

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

pytestmark = pytest.mark.websocket


def socket_url(live_server, appointment_id: int, token: str | None) -> str:
    url = live_server.base_url.replace("http://", "ws://") + f"/ws/chat/{appointment_id}/"
    return f"{url}?token={token}" if token else url


async def close_code_of(url: str, origin: str) -> int:
    async with connect(url, origin=origin, open_timeout=10) as socket:
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(socket.recv(), timeout=10)
    return closed.value.rcvd.code


def test_participants_exchange_a_message(live_server):
    appointment = live_server.ids["appointment"]
    patient = live_server.accounts["patient"]
    professional = live_server.accounts["professional"]

    async def exchange():
        origin = live_server.base_url
        async with (
            connect(socket_url(live_server, appointment, patient.token), origin=origin) as ana,
            connect(
                socket_url(live_server, appointment, professional.token), origin=origin
            ) as lucia,
        ):
            await ana.send(json.dumps({"type": "chat.message", "message": "¿Me escucha?"}))
            own = json.loads(await asyncio.wait_for(ana.recv(), timeout=10))
            while True:
                other = json.loads(await asyncio.wait_for(lucia.recv(), timeout=10))
                if other.get("type") == "chat.message":
                    break
        return own, other

    own, other = asyncio.run(exchange())
    assert own["type"] == "chat.message" and own["id"] > live_server.ids["first_message"]
    assert other["id"] == own["id"]
    assert other["sender"]["id"] == live_server.accounts["patient"].id


@pytest.mark.parametrize(
    ("actor", "expected"),
    [("patient2", 4403), ("professional2", 4403), ("admin", 4403), (None, 4401)],
)
def test_close_codes_reach_a_real_client(live_server, actor, expected):
    token = live_server.accounts[actor].token if actor else None
    url = socket_url(live_server, live_server.ids["appointment"], token)
    assert asyncio.run(close_code_of(url, live_server.base_url)) == expected


@pytest.mark.parametrize("token", ["not-a-token", "0" * 40, "%00"])
def test_a_bad_token_closes_with_4401(live_server, token):
    url = socket_url(live_server, live_server.ids["appointment"], token)
    assert asyncio.run(close_code_of(url, live_server.base_url)) == 4401


def test_unknown_appointment_closes_with_4404(live_server):
    url = socket_url(live_server, 999_999, live_server.accounts["patient"].token)
    assert asyncio.run(close_code_of(url, live_server.base_url)) == 4404


def test_foreign_origin_is_refused_at_the_handshake(live_server):
    url = socket_url(
        live_server, live_server.ids["appointment"], live_server.accounts["patient"].token
    )

    async def attempt():
        async with connect(url, origin="https://evil.example.com", open_timeout=10):
            pass

    with pytest.raises(InvalidStatus) as refused:
        asyncio.run(attempt())
    assert refused.value.response.status_code == 403


def test_the_token_never_reaches_the_access_log(live_server):
    token = live_server.accounts["patient"].token
    url = socket_url(live_server, live_server.ids["appointment"], token)

    async def visit():
        async with connect(url, origin=live_server.base_url, open_timeout=10) as socket:
            await socket.send(json.dumps({"type": "typing"}))

    asyncio.run(visit())
    log = live_server.log_path.read_text(errors="replace")
    assert "/ws/chat/" in log, "the access log did not record the socket at all"
    assert token not in log


def test_notifications_announce_a_message_to_the_other_participant(live_server):
    """ws/notifications/ through the real server and Redis: the professional's badge socket
    hears of the patient's message (chat.unread), and answers a ping."""
    appointment = live_server.ids["appointment"]
    patient = live_server.accounts["patient"]
    professional = live_server.accounts["professional"]
    base = live_server.base_url.replace("http://", "ws://")

    async def exchange():
        origin = live_server.base_url
        async with connect(
            f"{base}/ws/notifications/?token={professional.token}", origin=origin
        ) as badges:
            await badges.send(json.dumps({"type": "ping"}))
            pong = json.loads(await asyncio.wait_for(badges.recv(), timeout=10))
            async with connect(
                socket_url(live_server, appointment, patient.token), origin=origin
            ) as chat:
                await chat.send(json.dumps({"type": "chat.message", "message": "¿Hoy a las 10?"}))
                await next_frame_of_type(chat, {"chat.message"})
                unread = await next_frame_of_type(badges, {"chat.unread"})
        return pong, unread

    pong, unread = asyncio.run(exchange())
    assert pong == {"type": "pong"}
    assert unread["appointment"] == appointment
    assert unread["unread"] >= 1


# ---- Hostile input on the socket ----------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/ws/chat/abc/", "/ws/chat/-1/", "/ws/chat/1", "/ws/other/", "/ws/chat/99999999999999999999/"],
)
def test_an_unmatched_socket_path_is_refused_cleanly(live_server, path):
    """No route is a refusal (403/404 at the handshake, or 4404 after it), never an HTTP 500."""
    token = live_server.accounts["patient"].token
    url = live_server.base_url.replace("http://", "ws://") + f"{path}?token={token}"

    async def attempt() -> tuple[str, int]:
        try:
            async with connect(url, origin=live_server.base_url, open_timeout=10) as socket:
                with pytest.raises(ConnectionClosed) as closed:
                    await asyncio.wait_for(socket.recv(), timeout=10)
                return "close", closed.value.rcvd.code if closed.value.rcvd else 1006
        except InvalidStatus as refused:
            return "http", refused.value.response.status_code

    how, code = asyncio.run(attempt())
    assert (how, code) in {("http", 403), ("http", 404), ("close", 4404)}, (path, how, code)


# Frame text as sent: JSON the client library would not produce (too deep, a lone surrogate
# written as an escape, integers past 64 bits).
HOSTILE_FRAMES = {
    "nested 100000 deep": "[" * 100_000 + "]" * 100_000,
    "message nested 100000 deep": '{"type": "chat.message", "message": '
    + "[" * 100_000
    + "]" * 100_000
    + "}",
    "lone surrogate": '{"type": "chat.message", "message": "hola \\ud800"}',
    "20000 characters": json.dumps({"type": "chat.message", "message": "a" * 20_000}),
    "read huge id": '{"type": "read", "message_id": 99999999999999999999}',
    "history huge before": '{"type": "history", "before": 99999999999999999999}',
    "history huge limit": '{"type": "history", "limit": 99999999999999999999}',
    "resume huge after": '{"type": "resume", "after": 99999999999999999999}',
    "read 20000 digits": '{"type": "read", "message_id": ' + "9" * 20_000 + "}",
}


async def next_frame_of_type(socket, kinds: set[str]) -> dict:
    """The next frame of one of ``kinds``, skipping typing and read receipts from others."""
    while True:
        frame = json.loads(await asyncio.wait_for(socket.recv(), timeout=10))
        if frame.get("type") in kinds:
            return frame


@pytest.mark.parametrize("frame", list(HOSTILE_FRAMES.values()), ids=list(HOSTILE_FRAMES))
def test_a_hostile_frame_gets_an_error_frame_and_the_socket_stays_open(live_server, frame):
    url = socket_url(
        live_server, live_server.ids["appointment"], live_server.accounts["patient"].token
    )

    async def converse() -> tuple[dict, dict]:
        async with connect(url, origin=live_server.base_url, open_timeout=10) as socket:
            await socket.send(frame)
            answer = await next_frame_of_type(socket, {"error", "chat.message", "history"})
            await socket.send(json.dumps({"type": "chat.message", "message": "¿Sigue ahí?"}))
            after = await next_frame_of_type(socket, {"chat.message", "error"})
        return answer, after

    try:
        answer, after = asyncio.run(converse())
    except ConnectionClosed as closed:
        code = closed.rcvd.code if closed.rcvd else "none (abnormal drop)"
        pytest.fail(f"the server closed the socket (code {code}) instead of an error frame")
    # A limit is capped at HISTORY_PAGE_SIZE (psico-chat README), so a page answers it too.
    allowed = {"error", "history"} if "limit" in frame else {"error"}
    assert answer["type"] in allowed, answer
    assert after["type"] == "chat.message" and after["message"] == "¿Sigue ahí?", after
