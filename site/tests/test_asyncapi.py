"""site/asyncapi.yaml: served to anyone, and every frame type of the sockets is documented.

The frame types come from the consumers' own tables (``client_frames``, which dispatches the
client's frames, and ``server_frames``); a socket session through the site's ASGI application
checks that what the server really sends stays within them.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import yaml
from channels.testing import WebsocketCommunicator

DOCUMENT = Path(__file__).resolve().parent.parent / "asyncapi.yaml"
CHANNELS = {"chat": "ChatConsumer", "notifications": "NotificationsConsumer"}


def documented_frames(channel: str) -> dict[str, set[str]]:
    """{"receive": client frame types, "send": server frame types} of one channel."""
    document = yaml.safe_load(DOCUMENT.read_text())
    messages = document["components"]["messages"]
    frames: dict[str, set[str]] = {"receive": set(), "send": set()}
    for operation in document["operations"].values():
        if operation["channel"]["$ref"] != f"#/channels/{channel}":
            continue
        for reference in operation["messages"]:
            key = reference["$ref"].rsplit("/", 1)[-1]
            target = document["channels"][channel]["messages"][key]["$ref"].rsplit("/", 1)[-1]
            payload = messages[target]["payload"]
            parts = payload.get("allOf", [payload])
            (kind,) = [
                part["properties"]["type"]["const"] for part in parts if "properties" in part
            ]
            assert messages[target]["name"] == kind
            frames[operation["action"]].add(kind)
    return frames


def consumer(channel: str):
    from psico_chat.consumers import ChatConsumer
    from psico_chat.live import NotificationsConsumer

    return {"chat": ChatConsumer, "notifications": NotificationsConsumer}[channel]


@pytest.mark.parametrize("channel", CHANNELS)
def test_every_client_frame_the_consumer_accepts_is_documented_and_vice_versa(channel):
    socket_class = consumer(channel)

    assert documented_frames(channel)["receive"] == set(socket_class.client_frames)
    for method in socket_class.client_frames.values():
        assert callable(getattr(socket_class, method))


@pytest.mark.parametrize("channel", CHANNELS)
def test_every_server_frame_the_consumer_sends_is_documented_and_vice_versa(channel):
    assert documented_frames(channel)["send"] == set(consumer(channel).server_frames)


def test_every_close_code_is_documented():
    from psico_chat import consumers, sockets

    document = yaml.safe_load(DOCUMENT.read_text())
    codes = {
        sockets.CLOSE_NOT_AUTHENTICATED,
        sockets.CLOSE_FORBIDDEN,
        sockets.CLOSE_NOT_FOUND,
        sockets.CLOSE_TRY_AGAIN_LATER,
        consumers.CLOSE_INTERNAL_ERROR,
    }

    assert {int(code) for code in document["info"]["x-close-codes"]} == codes
    for code in codes:
        assert f"`{code}`" in document["info"]["description"]


@pytest.mark.django_db
@pytest.mark.parametrize("user", ["anonymous", "patient"])
def test_the_document_is_served_to_anyone(client, patient, user):
    if user == "patient":
        client.force_login(patient)

    response = client.get("/api/asyncapi.yaml")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/yaml; charset=utf-8"
    document = yaml.safe_load(response.content)
    assert document["asyncapi"] == "3.0.0"
    assert set(document["channels"]) == set(CHANNELS)
    assert response.content == DOCUMENT.read_bytes()


@pytest.mark.django_db
def test_the_document_is_read_only(client):
    assert client.post("/api/asyncapi.yaml", {"asyncapi": "2.0.0"}).status_code == 405


def socket(path: str) -> WebsocketCommunicator:
    from config.asgi import application

    return WebsocketCommunicator(
        application, path, headers=[(b"origin", b"http://testserver"), (b"host", b"testserver")]
    )


async def received(communicator: WebsocketCommunicator) -> list[dict]:
    frames = []
    while not await communicator.receive_nothing(timeout=0.3):
        frames.append(await communicator.receive_json_from(timeout=5))
    return frames


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_what_the_sockets_send_stays_within_the_documented_frames(appointment):
    from channels.db import database_sync_to_async
    from psico_accounts.testing.tokens import token_key_for
    from psico_scheduling.services import appointment_confirm

    patient_key = await database_sync_to_async(token_key_for)(appointment.patient)
    professional_key = await database_sync_to_async(token_key_for)(appointment.psychologist)
    chat_path = f"/ws/chat/{appointment.pk}/?token="
    patient = socket(chat_path + patient_key)
    professional = socket(chat_path + professional_key)
    live = socket(f"/ws/notifications/?token={professional_key}")
    for communicator in (patient, professional, live):
        connected, _ = await communicator.connect(timeout=5)
        assert connected

    client_id = str(uuid.uuid4())
    for frame in (
        {"type": "chat.message", "message": "Hola", "client_id": client_id},
        {"type": "chat.message", "message": "Hola", "client_id": client_id},
        {"type": "chat.message", "message": ""},
        {"type": "typing"},
        {"type": "history", "limit": 5},
        {"type": "resume", "after": 0},
        {"type": "nope"},
    ):
        await patient.send_json_to(frame)
    patient_frames = await received(patient)
    professional_frames = await received(professional)
    message_id = next(
        frame["id"] for frame in professional_frames if frame["type"] == "chat.message"
    )
    await professional.send_json_to({"type": "read", "message_id": message_id})
    await live.send_json_to({"type": "ping"})
    await live.send_json_to({"type": "pong"})
    await database_sync_to_async(appointment_confirm)(
        appointment=appointment, by=appointment.psychologist
    )
    patient_frames += await received(patient)
    live_frames = await received(live)
    for communicator in (patient, professional, live):
        await communicator.disconnect()

    chat_sent = {frame["type"] for frame in patient_frames + professional_frames}
    assert chat_sent == documented_frames("chat")["send"]
    assert {frame["type"] for frame in live_frames} == documented_frames("notifications")["send"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        {"format": "x" * 20_000},
        {"lang": " ".join(["palabra"] * 5_000)},
        {"v": "٣"},
        {"v": "9999-12-31"},
        {"id": str(2**63)},
        {"v": '{"a": {"b": {"c": [[[[]]]]}}}'},
    ],
)
def test_hostile_query_strings_get_the_same_document(client, query):
    response = client.get("/api/asyncapi.yaml", query)

    assert response.status_code == 200
    assert response.content == DOCUMENT.read_bytes()


@pytest.mark.django_db
def test_a_lone_surrogate_in_the_query_gets_the_same_document(client):
    response = client.get("/api/asyncapi.yaml?v=%ED%A0%80")

    assert response.status_code == 200
    assert response.content == DOCUMENT.read_bytes()
