"""Hostile input on the socket and through the service: unknown paths, deep JSON, lone
surrogates, extreme ids. Each gets a clean refusal or an error frame, never a crash."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.core.exceptions import ValidationError
from psico_chat.models import ChatMessage
from psico_chat.services import message_send

pytestmark = pytest.mark.django_db(transaction=True)

CLOSE_NOT_FOUND = 4404


async def next_frame(communicator) -> dict:
    return await communicator.receive_json_from(timeout=5)


@pytest.mark.parametrize(
    "path",
    [
        "/ws/chat/abc/",
        "/ws/chat/-1/",
        "/ws/chat/1",
        "/ws/chat/1/extra/",
        "/ws/other/",
        "/",
        "",
        "/ws/chat/99999999999999999999/",
        "/ws/chat/9223372036854775808/",
        "/ws/chat/１２３/",
        "/ws/chat/%00/",
    ],
)
async def test_a_path_that_names_no_chat_closes_with_4404(path, appointment, chat_communicator):
    from tests.asgi import application

    token_socket = await chat_communicator(appointment.pk, user=appointment.patient)
    query = token_socket.scope["query_string"].decode()
    communicator = WebsocketCommunicator(
        application, f"{path}?{query}", headers=[(b"origin", b"http://localhost")]
    )
    connected, _ = await communicator.connect(timeout=5)
    closing = await communicator.receive_output(timeout=5)
    await communicator.wait(timeout=5)

    assert connected
    assert closing == {"type": "websocket.close", "code": CLOSE_NOT_FOUND}


async def test_an_eighteen_digit_id_is_looked_up_and_not_found(refusal_code, patient):
    assert await refusal_code(10**17, user=patient) == CLOSE_NOT_FOUND


@pytest.mark.parametrize(
    "text",
    [
        "[" * 100_000 + "]" * 100_000,
        "[" * 2_000 + "]" * 2_000,
        '{"a":' * 40 + "1" + "}" * 40,
        '{"type": "chat.message", "message": "\\ud800"}',
        '{"type": "chat.message", "message": "a\\udfffb"}',
        '{"type": "chat.message", "\\ud800": "hola"}',
        # Not escaped: the frame's text itself holds one, as only a test client can send.
        '{"type": "chat.message", "message": "\ud800"}',
        '{"type": "history", "limit": NaN}',
        '{"type": "resume", "after": Infinity}',
    ],
    ids=[
        "100000-deep-list",
        "2000-deep-list",
        "40-deep-objects",
        "lone-high-surrogate",
        "lone-low-surrogate",
        "surrogate-key",
        "raw-lone-surrogate",
        "nan",
        "infinity",
    ],
)
async def test_unreadable_json_gets_an_error_frame_and_the_socket_stays_open(
    open_socket, appointment, settings, text
):
    settings.PSICO_CHAT = {"MAX_FRAME_BYTES": 256 * 1024}
    socket = await open_socket(appointment.pk, user=appointment.patient)

    await socket.send_to(text_data=text)
    error = await next_frame(socket)
    await socket.send_json_to({"message": "Sigo aquí"})
    still_working = await next_frame(socket)

    assert error["type"] == "error"
    assert error["code"] == "invalid_json"
    assert error["detail"]
    assert still_working["type"] == "chat.message"
    assert await database_sync_to_async(ChatMessage.objects.count)() == 1


async def test_json_errors_are_read_in_the_socket_language(open_socket, appointment):
    from django.utils import translation
    from psico_core.parsers import LONE_SURROGATE, NOT_JSON

    socket = await open_socket(appointment.pk, user=appointment.patient, language="es")

    await socket.send_to(text_data='{"message": "\\ud800"}')
    surrogate = await next_frame(socket)
    await socket.send_to(text_data="{not json")
    not_json = await next_frame(socket)

    with translation.override("es"):
        assert surrogate["detail"] == str(LONE_SURROGATE)
        assert not_json["detail"] == str(NOT_JSON)


@pytest.mark.parametrize(
    "frame",
    [
        {"type": "read", "message_id": 2**70},
        {"type": "read", "message_id": 2**63},
        {"type": "read", "message_id": -1},
        {"type": "read", "message_id": 1.0},
        {"type": "read", "message_id": 1e400},
        {"type": "read", "message_id": True},
        {"type": "history", "before": 2**70},
        {"type": "history", "limit": 2**70},
        {"type": "history", "before": -1},
        {"type": "history", "limit": 2.5},
        {"type": "history", "before": False},
        {"type": "resume", "after": 2**70},
        {"type": "resume", "after": -1},
        {"type": "resume", "after": 0.0},
        {"type": "resume", "after": False},
    ],
)
async def test_extreme_numbers_in_frames_get_invalid_frame(open_socket, appointment, frame):
    import json

    socket = await open_socket(appointment.pk, user=appointment.patient)

    # json.dumps writes 1e400 as Infinity, which is no JSON: spell it as a client would.
    await socket.send_to(text_data=json.dumps(frame).replace("Infinity", "1e400"))
    error = await next_frame(socket)
    await socket.send_json_to({"type": "history"})
    history = await next_frame(socket)

    assert error["type"] == "error"
    assert error["code"] == "invalid_frame"
    assert history["type"] == "history"


async def test_the_largest_database_id_is_a_valid_cursor(open_socket, appointment):
    socket = await open_socket(appointment.pk, user=appointment.patient)

    await socket.send_json_to({"type": "history", "before": 2**63 - 1})
    history = await next_frame(socket)
    await socket.send_json_to({"type": "read", "message_id": 2**63 - 1})
    unknown = await next_frame(socket)

    assert history == {"type": "history", "before": 2**63 - 1, "messages": [], "has_more": False}
    assert unknown["code"] == "unknown_message"


@pytest.mark.parametrize("content", ["\ud800", "hola \udfff", "\ud83d"])
def test_the_service_refuses_lone_surrogates(appointment, content):
    with pytest.raises(ValidationError) as refused:
        message_send(appointment=appointment, sender=appointment.patient, content=content)

    assert list(refused.value.message_dict) == ["message"]
    assert refused.value.error_dict["message"][0].code == "invalid_characters"
    assert not ChatMessage.objects.exists()


def test_a_surrogate_pair_is_an_ordinary_character(appointment):
    message = message_send(appointment=appointment, sender=appointment.patient, content="🙂")

    assert message.content == "🙂"


def test_rest_refuses_a_lone_surrogate_with_400(api_client_for, appointment):
    client = api_client_for(appointment.patient)

    response = client.post(
        f"/api/chat/{appointment.pk}/messages/",
        '{"message": "\\ud800"}',
        content_type="application/json",
    )

    assert response.status_code == 400
    assert not ChatMessage.objects.exists()


@pytest.mark.parametrize("appointment_id", ["99999999999999999999", "9223372036854775808"])
def test_rest_answers_404_for_ids_beyond_the_database(api_client_for, patient, appointment_id):
    client = api_client_for(patient)

    listed = client.get(f"/api/chat/{appointment_id}/messages/")
    posted = client.post(f"/api/chat/{appointment_id}/messages/", {"message": "x"}, format="json")

    assert listed.status_code == 404
    assert posted.status_code == 404


@pytest.mark.parametrize("parameter", ["after", "before", "limit"])
@pytest.mark.parametrize(
    "value", ["١٢٣", "１２３", "99999999999999999999", "-1", "1.5"], ids=str.encode
)
def test_rest_cursors_are_ascii_database_ids(api_client_for, appointment, parameter, value):
    client = api_client_for(appointment.patient, language="en")

    response = client.get(f"/api/chat/{appointment.pk}/messages/", {parameter: value})

    assert response.status_code == 400
    assert parameter in response.json()
