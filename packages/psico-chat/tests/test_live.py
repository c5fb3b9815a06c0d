"""Two real uvicorn processes sharing PostgreSQL and Redis, as in production.

Skipped unless REDIS_URL is set and the database is PostgreSQL; with PSICO_REQUIRE_SERVICES=1
(CI) a missing service fails the test instead, so it can never silently vanish.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote
from uuid import uuid4

import httpx
import pytest
import websockets
from channels.db import database_sync_to_async

PACKAGE_DIR = Path(__file__).resolve().parent.parent
ORIGIN = "http://localhost"
STARTUP_TIMEOUT = 60


def _missing_services() -> str | None:
    from django.db import connection

    if not os.environ.get("REDIS_URL"):
        return "REDIS_URL is not set"
    if connection.vendor != "postgresql":
        return f"the database is {connection.vendor}, not PostgreSQL"
    return None


@pytest.fixture
def live_services():
    reason = _missing_services()
    if reason is None:
        return
    if os.environ.get("PSICO_REQUIRE_SERVICES") == "1":
        pytest.fail(f"PSICO_REQUIRE_SERVICES=1 but {reason}.")
    pytest.skip(f"Needs PostgreSQL and Redis: {reason}.")


def _test_database_url() -> str:
    """The database pytest-django created for this run, which the servers must share."""
    from django.db import connection

    db = connection.settings_dict
    credentials = quote(db["USER"] or "", safe="")
    if db.get("PASSWORD"):
        credentials += ":" + quote(db["PASSWORD"], safe="")
    host = db["HOST"] or "127.0.0.1"
    port = db["PORT"] or "5432"
    return f"postgres://{credentials}@{host}:{port}/{quote(db['NAME'], safe='')}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    """``uvicorn tests.asgi:application`` in its own process, on a free port."""

    process: subprocess.Popen
    port: int
    lines: list[str] = field(default_factory=list)
    ready: threading.Event = field(default_factory=threading.Event)
    reader: threading.Thread | None = None

    @classmethod
    def start(cls, *, redis_url: str) -> Server:
        """Start a server on the test database and the channel layer at ``redis_url``; it is
        ready once :attr:`ready` is set and the process still runs."""
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "PYTHONPATH": os.pathsep.join(
                filter(None, [str(PACKAGE_DIR), os.environ.get("PYTHONPATH")])
            ),
            "DATABASE_URL": _test_database_url(),
            "REDIS_URL": redis_url,
        }
        port = _free_port()
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "tests.asgi:application",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--lifespan",
                "off",
                "--log-level",
                "info",
                "--no-use-colors",
            ],
            cwd=PACKAGE_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        server = cls(process, port)
        server.reader = threading.Thread(target=server.read_output, daemon=True)
        server.reader.start()
        return server

    def wait_until_ready(self) -> None:
        if not self.ready.wait(STARTUP_TIMEOUT) or self.process.poll() is not None:
            pytest.fail(f"uvicorn did not start:\n{self.output}")

    def ws_url(self, appointment_id: int, token: str | None = None) -> str:
        query = f"?token={token}" if token else ""
        return f"ws://127.0.0.1:{self.port}/ws/chat/{appointment_id}/{query}"

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def read_output(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line)
            if "Uvicorn running on" in line:
                self.ready.set()
        self.ready.set()  # the process ended: stop waiting either way

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=30)
        if self.reader is not None:
            self.reader.join(timeout=30)
        self.process.stdout.close()


@pytest.fixture
def two_servers(live_services, transactional_db):
    """Two uvicorn processes serving tests.asgi on free ports; always stopped afterwards."""
    servers: list[Server] = []
    try:
        # Both start at once; each is ready when it prints its "Uvicorn running on" line.
        for _ in range(2):
            servers.append(Server.start(redis_url=os.environ["REDIS_URL"]))
        for server in servers:
            server.wait_until_ready()
        yield servers
    finally:
        for server in servers:
            server.stop()


async def recv(ws) -> dict:
    return json.loads(await ws.recv())


async def participant_tokens(appointment) -> tuple[str, str]:
    """The API tokens of the appointment's patient and professional, in that order."""
    from psico_accounts.testing.tokens import token_key_for

    @database_sync_to_async
    def keys() -> tuple[str, str]:
        patient, professional = appointment.patient, appointment.psychologist
        return (
            token_key_for(patient),
            token_key_for(professional),
        )

    return await keys()


async def send_message(ws, text: str) -> dict:
    await ws.send(json.dumps({"type": "chat.message", "message": text}))
    frame = await recv(ws)
    assert frame["type"] == "chat.message", frame
    assert frame["message"] == text
    return frame


@pytest.mark.django_db(transaction=True)
async def test_two_servers_share_a_chat_and_resume_loses_nothing(two_servers, appointment):
    server_a, server_b = two_servers
    patient_token, professional_token = await participant_tokens(appointment)
    connect = websockets.connect

    async with connect(
        server_b.ws_url(appointment.pk, professional_token), origin=ORIGIN
    ) as professional:
        # Each participant on a different process: Redis carries the messages across.
        patient = await connect(server_a.ws_url(appointment.pk, patient_token), origin=ORIGIN)
        try:
            greeting = await send_message(patient, "Hola desde el servidor A")
            assert await recv(professional) == greeting
            reply = await send_message(professional, "Hola desde el servidor B")
            assert await recv(patient) == reply
            await professional.send(json.dumps({"type": "typing"}))
            assert (await recv(patient))["type"] == "typing"
            last_seen = reply["id"]

            server_a.stop()
            with pytest.raises(websockets.ConnectionClosed):
                await patient.recv()
        finally:
            await patient.close()

        # While the patient is away: socket messages on B, and REST posts from both sides.
        missed = [(await send_message(professional, f"Mientras tanto {n}"))["id"] for n in (1, 2)]
        async with httpx.AsyncClient(base_url=server_b.http_url, timeout=30) as http:
            for token, text in (
                (patient_token, "Desde el móvil"),
                (professional_token, "Recibido"),
            ):
                response = await http.post(
                    f"/api/chat/{appointment.pk}/messages/",
                    json={"message": text},
                    headers={"Authorization": f"Token {token}"},
                )
                assert response.status_code == 201, response.text
                missed.append(response.json()["id"])
                assert (await recv(professional))["id"] == missed[-1]

        async with connect(
            server_b.ws_url(appointment.pk, patient_token), origin=ORIGIN
        ) as patient:
            await patient.send(json.dumps({"type": "resume", "after": last_seen}))
            replayed = []
            while (frame := await recv(patient))["type"] == "chat.message":
                replayed.append(frame["id"])
            probe = await send_message(patient, "¿Me leen?")
            probe_received = await recv(professional)

        assert replayed == missed
        assert frame == {"type": "resume", "after": last_seen, "count": 4, "last_id": missed[-1]}
        assert probe_received == probe

    # A real client sees the 44xx close code, not a bare HTTP 403.
    async with connect(server_b.ws_url(appointment.pk), origin=ORIGIN) as anonymous:
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await anonymous.recv()
    assert closed.value.rcvd.code == 4401

    logs = server_a.output + server_b.output
    assert "?token=[redacted]" in logs
    assert patient_token not in logs and professional_token not in logs


async def frames_until(ws, done) -> list[dict]:
    """Every frame received up to and including the first for which ``done(frame)`` holds."""
    frames = [await recv(ws)]
    while not done(frames[-1]):
        frames.append(await recv(ws))
    return frames


@pytest.mark.django_db(transaction=True)
async def test_a_client_id_stores_one_message_across_two_servers(two_servers, appointment):
    from psico_chat.models import ChatMessage

    server_a, server_b = two_servers
    patient_token, professional_token = await participant_tokens(appointment)
    stored_with = database_sync_to_async(
        lambda client_id: list(
            ChatMessage.objects.filter(client_id=client_id).values_list("id", flat=True)
        )
    )
    connect = websockets.connect
    resent = {"type": "chat.message", "message": "¿Me llegó?", "client_id": str(uuid4())}
    raced = {"type": "chat.message", "message": "Dos a la vez", "client_id": str(uuid4())}

    async with connect(
        server_b.ws_url(appointment.pk, professional_token), origin=ORIGIN
    ) as professional:
        # Sent on A; the connection drops before the client trusts the answer, so it
        # reconnects to B and sends the same frame again, and then also posts it to A.
        async with connect(server_a.ws_url(appointment.pk, patient_token), origin=ORIGIN) as ws:
            await ws.send(json.dumps(resent))
            first = await recv(ws)
        async with connect(server_b.ws_url(appointment.pk, patient_token), origin=ORIGIN) as ws:
            await ws.send(json.dumps(resent))
            again = await recv(ws)
        async with httpx.AsyncClient(base_url=server_a.http_url, timeout=30) as http:
            response = await http.post(
                f"/api/chat/{appointment.pk}/messages/",
                json={"message": resent["message"], "client_id": resent["client_id"]},
                headers={"Authorization": f"Token {patient_token}"},
            )
        assert first["type"] == "chat.message" and first["client_id"] == resent["client_id"]
        assert again == first
        assert response.status_code == 200, response.text
        assert response.json() == {key: value for key, value in first.items() if key != "type"}
        assert await stored_with(resent["client_id"]) == [first["id"]]

        # Two sockets of the patient, one on each server, send the same frame at once.
        on_a = await connect(server_a.ws_url(appointment.pk, patient_token), origin=ORIGIN)
        on_b = await connect(server_b.ws_url(appointment.pk, patient_token), origin=ORIGIN)
        try:
            await asyncio.gather(on_a.send(json.dumps(raced)), on_b.send(json.dumps(raced)))
            answer_a, answer_b = await asyncio.gather(recv(on_a), recv(on_b))
            assert answer_a["type"] == answer_b["type"] == "chat.message", (answer_a, answer_b)
            assert answer_a == answer_b
            assert await stored_with(raced["client_id"]) == [answer_a["id"]]

            # A probe from the professional marks the end: what each socket got before it
            # is all it got.
            await professional.send(json.dumps({"type": "chat.message", "message": "Recibido"}))
            professional_frames = await frames_until(
                professional, lambda frame: frame.get("message") == "Recibido"
            )
            probe_id = professional_frames[-1]["id"]
            patient_frames = [
                answer_a,
                *await frames_until(on_a, lambda frame: frame.get("id") == probe_id),
                answer_b,
                *await frames_until(on_b, lambda frame: frame.get("id") == probe_id),
            ]
        finally:
            await on_a.close()
            await on_b.close()

    # The other participant got each message exactly once, in order; the patient's sockets
    # got no other message than the one stored (the sockets' answers, and the broadcast).
    assert [frame["id"] for frame in professional_frames] == [first["id"], answer_a["id"], probe_id]
    assert {frame["id"] for frame in patient_frames} == {answer_a["id"], probe_id}
