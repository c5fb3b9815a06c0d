"""REST: GET/POST /api/chat/<appointment_id>/messages/."""

from __future__ import annotations

import logging
import socket

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from psico_accounts.testing.factories import AdminFactory, PatientFactory
from psico_chat.broadcasting import chat_group_name
from psico_chat.models import ChatMessage
from psico_chat.testing.factories import ChatMessageFactory
from psico_scheduling.models import AppointmentStatus

pytestmark = pytest.mark.django_db


def url(appointment_id: int) -> str:
    return f"/api/chat/{appointment_id}/messages/"


@pytest.fixture
def five_messages(appointment):
    senders = [appointment.patient, appointment.psychologist]
    return [ChatMessageFactory(appointment=appointment, sender=senders[n % 2]).pk for n in range(5)]


# Who may read and write ---------------------------------------------------------------------


def test_anonymous_requests_get_401(api_client_for, appointment):
    client = api_client_for(None)

    assert client.get(url(appointment.pk)).status_code == 401
    assert client.post(url(appointment.pk), {"message": "Hola"}).status_code == 401


@pytest.mark.parametrize("who", ["stranger", "admin"])
def test_non_participants_get_404(api_client_for, appointment, who):
    user = PatientFactory() if who == "stranger" else AdminFactory()
    client = api_client_for(user)

    assert client.get(url(appointment.pk)).status_code == 404
    assert client.post(url(appointment.pk), {"message": "Hola"}).status_code == 404
    assert not ChatMessage.objects.exists()


def test_a_missing_appointment_gets_404(api_client_for, patient):
    assert api_client_for(patient).get(url(424242)).status_code == 404


# Reading --------------------------------------------------------------------------------------


def test_the_list_is_the_newest_page_oldest_first(
    api_client_for, appointment, five_messages, settings, django_assert_max_num_queries
):
    settings.PSICO_CHAT = {"HISTORY_PAGE_SIZE": 3}
    ChatMessageFactory()  # in another appointment's chat
    client = api_client_for(appointment.patient)

    with django_assert_max_num_queries(3):
        response = client.get(url(appointment.pk))

    assert response.status_code == 200
    body = response.json()
    assert [m["id"] for m in body["results"]] == five_messages[2:]
    assert body["has_more"] is True
    first = body["results"][0]
    assert set(first) == {
        "id",
        "appointment",
        "sender",
        "message",
        "created_at",
        "read_at",
        "client_id",
    }
    assert first["client_id"] is None
    assert first["sender"] == {
        "id": appointment.patient.pk,
        "name": appointment.patient.get_full_name(),
    }
    assert first["appointment"] == appointment.pk
    assert first["created_at"].endswith("-04:00")


def test_cursors_page_backwards_and_forwards(api_client_for, appointment, five_messages):
    ids = five_messages
    client = api_client_for(appointment.psychologist)

    older = client.get(url(appointment.pk), {"before": ids[3], "limit": 2}).json()
    oldest = client.get(url(appointment.pk), {"before": ids[1], "limit": 2}).json()
    newer = client.get(url(appointment.pk), {"after": ids[0], "limit": 3}).json()
    rest = client.get(url(appointment.pk), {"after": ids[3], "limit": 3}).json()
    window = client.get(url(appointment.pk), {"after": ids[0], "before": ids[3]}).json()

    assert ([m["id"] for m in older["results"]], older["has_more"]) == (ids[1:3], True)
    assert ([m["id"] for m in oldest["results"]], oldest["has_more"]) == (ids[:1], False)
    assert ([m["id"] for m in newer["results"]], newer["has_more"]) == (ids[1:4], True)
    assert ([m["id"] for m in rest["results"]], rest["has_more"]) == (ids[4:], False)
    assert [m["id"] for m in window["results"]] == ids[1:3]


def test_the_page_size_is_capped(api_client_for, appointment, five_messages, settings):
    settings.PSICO_CHAT = {"HISTORY_PAGE_SIZE": 2}

    body = api_client_for(appointment.patient).get(url(appointment.pk), {"limit": 500}).json()

    assert len(body["results"]) == 2


@pytest.mark.parametrize(
    "params, field",
    [
        ({"after": "x"}, "after"),
        ({"before": 0}, "before"),
        ({"limit": -1}, "limit"),
        # Sent blank is not the same as not sent: a client building this URL has a bug.
        ({"after": ""}, "after"),
        ({"limit": ""}, "limit"),
    ],
)
def test_bad_cursors_get_400(api_client_for, appointment, params, field):
    response = api_client_for(appointment.patient).get(url(appointment.pk), params)

    assert response.status_code == 400
    assert field in response.json()


# Writing --------------------------------------------------------------------------------------


def test_posting_stores_and_returns_the_message(
    api_client_for, appointment, django_assert_max_num_queries
):
    client = api_client_for(appointment.patient)

    with django_assert_max_num_queries(7):
        response = client.post(url(appointment.pk), {"message": "  Llego tarde  "}, format="json")

    assert response.status_code == 201
    body = response.json()
    message = ChatMessage.objects.get()
    assert body["id"] == message.pk
    assert body["message"] == message.content == "Llego tarde"
    assert body["sender"]["id"] == appointment.patient.pk
    assert body["read_at"] is None


def test_a_post_is_broadcast_after_commit(
    api_client_for, appointment, django_capture_on_commit_callbacks
):
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(chat_group_name(appointment.pk), channel)
    client = api_client_for(appointment.psychologist)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(url(appointment.pk), {"message": "Hola"}, format="json")
    event = async_to_sync(layer.receive)(channel)

    assert len(callbacks) == 1
    # The event carries the stored message, as the socket sends it, and its predecessor.
    assert event == {
        "type": "chat.message",
        "id": response.json()["id"],
        "appointment": appointment.pk,
        "sender": appointment.psychologist.pk,
        "previous_id": 0,
        "message": response.json(),
    }


@pytest.mark.parametrize(
    "language, text",
    [("en", "The message is empty."), (None, "El mensaje está vacío.")],
)
def test_an_empty_message_gets_400_in_the_client_language(
    api_client_for, appointment, language, text
):
    client = api_client_for(appointment.patient, language=language)

    response = client.post(url(appointment.pk), {"message": "   "}, format="json")

    assert response.status_code == 400
    assert response.json() == {"message": [text]}


def test_a_message_that_is_not_a_json_string_gets_400(api_client_for, appointment):
    response = api_client_for(appointment.patient, language="en").post(
        url(appointment.pk), {"message": 42}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"message": ["Must be a JSON string (received: integer)."]}


def test_a_missing_message_gets_400(api_client_for, appointment):
    response = api_client_for(appointment.patient).post(url(appointment.pk), {}, format="json")

    assert response.status_code == 400
    assert "message" in response.json()


def test_a_too_long_message_gets_400(api_client_for, appointment, settings):
    settings.PSICO_CHAT = {"MAX_MESSAGE_LENGTH": 10}
    client = api_client_for(appointment.patient, language="en")

    response = client.post(url(appointment.pk), {"message": "x" * 11}, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "message": ["The message is too long (11 characters); the limit is 10."]
    }


def test_a_closed_chat_refuses_posts_with_400(api_client_for, appointment):
    appointment.status = AppointmentStatus.CANCELLED
    appointment.save()
    client = api_client_for(appointment.patient, language="en")

    response = client.post(url(appointment.pk), {"message": "Hola"}, format="json")

    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["The chat of this appointment is closed."]}
    # Its history stays readable.
    assert client.get(url(appointment.pk)).status_code == 200


def test_a_flood_of_posts_gets_429(api_client_for, appointment, settings):
    settings.PSICO_CHAT = {"RATE_LIMIT_MESSAGES": 2, "RATE_LIMIT_SECONDS": 3600}
    client = api_client_for(appointment.patient)

    statuses = [
        client.post(url(appointment.pk), {"message": f"{n}"}, format="json").status_code
        for n in range(3)
    ]

    assert statuses == [201, 201, 429]
    assert ChatMessage.objects.count() == 2
    assert client.get(url(appointment.pk)).status_code == 200


@pytest.fixture
def closed_port():
    """A local port bound but not listening: connecting to it is refused at once."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    yield sock.getsockname()[1]
    sock.close()


def test_an_unreachable_channel_layer_does_not_lose_a_post(
    api_client_for, appointment, settings, closed_port, caplog, django_capture_on_commit_callbacks
):
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [f"redis://127.0.0.1:{closed_port}/0"]},
        }
    }
    settings.PSICO_CHAT = {"CHANNEL_LAYER_TIMEOUT": 0.5}
    client = api_client_for(appointment.patient)

    with caplog.at_level(logging.WARNING, logger="psico_chat"):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(url(appointment.pk), {"message": "¿Me oyen?"}, format="json")
    listed = client.get(url(appointment.pk)).json()

    assert response.status_code == 201
    assert [m["message"] for m in listed["results"]] == ["¿Me oyen?"]
    failures = [r for r in caplog.records if r.name == "psico_chat.broadcasting"]
    assert len(failures) == 1
    assert failures[0].exc_info is not None
