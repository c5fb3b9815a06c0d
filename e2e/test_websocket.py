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
