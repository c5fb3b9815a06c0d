"""Idempotent sends: a ``client_id`` (UUID) on a chat frame or a REST POST stores one message."""

from __future__ import annotations

import json
import os
import threading
import time
import uuid

import pytest
from channels.db import database_sync_to_async
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from psico_chat.models import ChatMessage
from psico_chat.services import StoredMessage, message_post, message_send
from psico_chat.testing.factories import ChatMessageFactory
from psico_scheduling.models import AppointmentStatus
from psico_scheduling.testing.factories import AppointmentFactory

CLIENT_ID = "0b9f6c2e-3d4a-4f5b-9c8d-7e6f5a4b3c2d"

HOSTILE_CLIENT_IDS = [
    pytest.param("x" * 20_000, id="20000-chars"),
    pytest.param("", id="empty"),
    pytest.param("not-a-uuid", id="text"),
    pytest.param(CLIENT_ID + "\n", id="trailing-newline"),
    pytest.param(" " + CLIENT_ID, id="leading-space"),
    pytest.param(CLIENT_ID.replace("-", ""), id="no-hyphens"),
    pytest.param("{" + CLIENT_ID + "}", id="braces"),
    pytest.param("urn:uuid:" + CLIENT_ID, id="urn"),
    # uuid.UUID() reads these through int(): Arabic-Indic digits and underscores.
    pytest.param("١" * 8 + "-1111-1111-1111-" + "1" * 12, id="unicode-digits"),
    pytest.param("0b9f6c2e-3d4a-4f5b-9c8d-7e6f5a4b3c2_", id="underscore"),
    pytest.param("0b9f6c2e-3d4a-4f5b-9c8d-7e6f5a4b3c2\ud800", id="lone-surrogate"),
    pytest.param(12345, id="integer"),
    pytest.param(True, id="boolean"),
    pytest.param(["a"], id="array"),
    pytest.param({"client_id": CLIENT_ID}, id="object"),
    pytest.param({"a": {"b": {"c": [[[[CLIENT_ID]]]]}}}, id="nested"),
]


def url(appointment_id: int) -> str:
    return f"/api/chat/{appointment_id}/messages/"


# The service --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_same_client_id_twice_stores_one_message(appointment):
    first = message_post(
        appointment=appointment, sender=appointment.patient, content="Hola", client_id=CLIENT_ID
    )
    again = message_post(
        appointment=appointment, sender=appointment.patient, content="Hola", client_id=CLIENT_ID
    )

    assert first.created and not again.created
    assert again.message.pk == first.message.pk
    assert ChatMessage.objects.get().client_id == uuid.UUID(CLIENT_ID)
    # The repeat's event is the first one's, previous_id included.
    assert again.event == first.event


@pytest.mark.django_db
def test_a_repeat_is_not_broadcast(appointment, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        message_send(
            appointment=appointment, sender=appointment.patient, content="Hola", client_id=CLIENT_ID
        )
        message_send(
            appointment=appointment, sender=appointment.patient, content="Hola", client_id=CLIENT_ID
        )

    assert len(callbacks) == 1


@pytest.mark.django_db
def test_a_repeat_answers_the_stored_message_whatever_the_new_content(appointment):
    first = message_send(
        appointment=appointment, sender=appointment.patient, content="Hola", client_id=CLIENT_ID
    )
    again = message_send(
        appointment=appointment, sender=appointment.patient, content="Otra", client_id=CLIENT_ID
    )

    assert again.pk == first.pk and again.content == "Hola"


@pytest.mark.django_db
def test_a_repeat_still_answers_after_the_chat_closed(appointment):
    first = message_send(
        appointment=appointment, sender=appointment.patient, content="Hola", client_id=CLIENT_ID
    )
    appointment.status = AppointmentStatus.CANCELLED
    appointment.save(update_fields=["status"])

    again = message_send(
        appointment=appointment, sender=appointment.patient, content="Hola", client_id=CLIENT_ID
    )

    assert again.pk == first.pk
    with pytest.raises(ValidationError):
        message_send(appointment=appointment, sender=appointment.patient, content="Nuevo")


@pytest.mark.django_db
def test_the_same_client_id_from_the_other_participant_is_another_message(appointment):
    mine = message_send(
        appointment=appointment, sender=appointment.patient, content="Hola", client_id=CLIENT_ID
    )
    theirs = message_send(
        appointment=appointment,
        sender=appointment.psychologist,
        content="Hola",
        client_id=CLIENT_ID,
    )

    assert mine.pk != theirs.pk
    assert ChatMessage.objects.filter(client_id=CLIENT_ID).count() == 2


@pytest.mark.django_db
def test_a_client_id_used_in_another_chat_is_refused(appointment):
    message_send(
        appointment=appointment, sender=appointment.patient, content="Hola", client_id=CLIENT_ID
    )
    other = AppointmentFactory(patient=appointment.patient)

    with pytest.raises(ValidationError) as refused:
        message_send(
            appointment=other, sender=appointment.patient, content="Hola", client_id=CLIENT_ID
        )

    assert [error.code for error in refused.value.error_dict["client_id"]] == ["client_id_reused"]
    assert not ChatMessage.objects.filter(appointment=other).exists()


@pytest.mark.django_db
def test_sends_without_client_id_never_collide(appointment):
    for _ in range(3):
        message_send(appointment=appointment, sender=appointment.patient, content="Hola")

    assert ChatMessage.objects.filter(client_id__isnull=True).count() == 3


@pytest.mark.django_db
def test_the_database_refuses_a_second_row_with_the_same_sender_and_client_id(appointment):
    # The constraint behind concurrent sends from two processes, where no lock is shared.
    ChatMessageFactory(appointment=appointment, sender=appointment.patient, client_id=CLIENT_ID)

    with pytest.raises(IntegrityError):
        ChatMessageFactory(
            appointment=AppointmentFactory(patient=appointment.patient),
            sender=appointment.patient,
            client_id=CLIENT_ID,
        )


@pytest.mark.django_db
@pytest.mark.parametrize("client_id", HOSTILE_CLIENT_IDS)
def test_the_service_refuses_a_client_id_that_is_not_a_canonical_uuid(appointment, client_id):
    with pytest.raises(ValidationError) as refused:
        message_send(
            appointment=appointment, sender=appointment.patient, content="Hola", client_id=client_id
        )

    assert list(refused.value.message_dict) == ["client_id"]
    assert not ChatMessage.objects.exists()


@pytest.mark.django_db
def test_upper_case_is_the_same_uuid(appointment):
    first = message_send(
        appointment=appointment, sender=appointment.patient, content="Hola", client_id=CLIENT_ID
    )
    again = message_send(
        appointment=appointment,
        sender=appointment.patient,
        content="Hola",
        client_id=CLIENT_ID.upper(),
    )

    assert again.pk == first.pk


# REST ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_repeated_post_answers_200_with_the_stored_message(api_client_for, appointment):
    client = api_client_for(appointment.patient)
    payload = {"message": "Llego tarde", "client_id": CLIENT_ID}

    created = client.post(url(appointment.pk), payload, format="json")
    repeated = client.post(url(appointment.pk), payload, format="json")

    assert created.status_code == 201, created.content
    assert repeated.status_code == 200, repeated.content
    assert repeated.json() == created.json()
    assert created.json()["client_id"] == CLIENT_ID
    assert ChatMessage.objects.count() == 1
    listed = client.get(url(appointment.pk)).json()["results"]
    assert [item["client_id"] for item in listed] == [CLIENT_ID]


@pytest.mark.django_db
def test_a_post_without_client_id_answers_null(api_client_for, appointment):
    client = api_client_for(appointment.patient)

    for payload in ({"message": "Hola"}, {"message": "Hola", "client_id": None}):
        response = client.post(url(appointment.pk), payload, format="json")
        assert response.status_code == 201
        assert response.json()["client_id"] is None
    assert ChatMessage.objects.count() == 2


@pytest.mark.django_db
def test_a_form_post_takes_a_client_id_too(api_client_for, appointment):
    client = api_client_for(appointment.patient)
    payload = {"message": "Hola", "client_id": CLIENT_ID}

    assert client.post(url(appointment.pk), payload).status_code == 201
    assert client.post(url(appointment.pk), payload).status_code == 200
    assert ChatMessage.objects.count() == 1


@pytest.mark.django_db
def test_a_post_with_a_client_id_of_another_chat_gets_400(api_client_for, appointment):
    client = api_client_for(appointment.patient, language="es")
    other = AppointmentFactory(patient=appointment.patient)
    payload = {"message": "Hola", "client_id": CLIENT_ID}
    assert client.post(url(other.pk), payload, format="json").status_code == 201

    response = client.post(url(appointment.pk), payload, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "client_id": ["Este client_id ya se usó para un mensaje en otro chat."]
    }
    assert not ChatMessage.objects.filter(appointment=appointment).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("client_id", HOSTILE_CLIENT_IDS)
def test_a_post_with_a_hostile_client_id_gets_400(api_client_for, appointment, client_id):
    client = api_client_for(appointment.patient, language="en")

    # As a client would send it: json.dumps escapes a lone surrogate as "\ud800".
    response = client.post(
        url(appointment.pk),
        json.dumps({"message": "Hola", "client_id": client_id}),
        content_type="application/json",
    )

    assert response.status_code == 400, response.content
    # The JSON parser refuses a lone surrogate before any field is read.
    unreadable = isinstance(client_id, str) and "\ud800" in client_id
    assert list(response.json()) == (["detail"] if unreadable else ["client_id"])
    assert not ChatMessage.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "language, text",
    [
        ("en", "The client_id must be a UUID in its canonical form"),
        ("es", "El client_id debe ser un UUID en su forma canónica"),
    ],
)
def test_a_bad_client_id_is_explained_in_the_client_language(
    api_client_for, appointment, language, text
):
    client = api_client_for(appointment.patient, language=language)

    response = client.post(
        url(appointment.pk), {"message": "Hola", "client_id": "123"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["client_id"][0].startswith(text)


# The socket ---------------------------------------------------------------------------------


async def next_frame(communicator) -> dict:
    return await communicator.receive_json_from(timeout=5)


count_messages = database_sync_to_async(lambda: ChatMessage.objects.count())


@pytest.mark.django_db(transaction=True)
async def test_a_resent_frame_is_answered_to_the_sender_only(open_socket, appointment):
    patient = await open_socket(appointment.pk, user=appointment.patient)
    professional = await open_socket(appointment.pk, user=appointment.psychologist)
    frame = {"type": "chat.message", "message": "Hola", "client_id": CLIENT_ID}

    await patient.send_json_to(frame)
    first = await next_frame(patient)
    received = await next_frame(professional)
    await patient.send_json_to(frame)
    again = await next_frame(patient)

    assert first["type"] == "chat.message" and first["client_id"] == CLIENT_ID
    assert received == first
    assert again == first
    assert await count_messages() == 1
    # Nothing more reached the other participant.
    assert await professional.receive_nothing(timeout=0.2)


@pytest.mark.django_db(transaction=True)
async def test_a_resend_after_reconnecting_gets_the_stored_message(open_socket, appointment):
    frame = {"type": "chat.message", "message": "Hola", "client_id": CLIENT_ID}
    first_socket = await open_socket(appointment.pk, user=appointment.patient)
    await first_socket.send_json_to(frame)
    first = await next_frame(first_socket)
    await first_socket.disconnect()

    # The new socket's delivered range starts after the message, yet the resend is answered.
    second_socket = await open_socket(appointment.pk, user=appointment.patient)
    await second_socket.send_json_to(frame)
    again = await next_frame(second_socket)

    assert again == first
    assert await count_messages() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("client_id", HOSTILE_CLIENT_IDS)
async def test_a_frame_with_a_hostile_client_id_gets_an_error_frame(
    open_socket, appointment, client_id
):
    socket = await open_socket(appointment.pk, user=appointment.patient, language="es")

    # json.dumps writes the lone surrogate as "\ud800", which the socket refuses as JSON.
    await socket.send_json_to({"type": "chat.message", "message": "Hola", "client_id": client_id})
    error = await next_frame(socket)

    assert error["type"] == "error"
    assert error["code"] in {"invalid_client_id", "invalid_json"}, error
    if error["code"] == "invalid_client_id":
        assert error["detail"].startswith("El client_id debe ser un UUID")
    assert await count_messages() == 0


@pytest.mark.django_db(transaction=True)
async def test_a_frame_with_a_client_id_of_another_chat_gets_an_error_frame(
    open_socket, appointment
):
    other = await database_sync_to_async(AppointmentFactory)(patient=appointment.patient)
    await database_sync_to_async(message_send)(
        appointment=other, sender=appointment.patient, content="Hola", client_id=CLIENT_ID
    )
    socket = await open_socket(appointment.pk, user=appointment.patient, language="en")

    await socket.send_json_to({"type": "chat.message", "message": "Hola", "client_id": CLIENT_ID})
    error = await next_frame(socket)

    assert error == {
        "type": "error",
        "code": "client_id_reused",
        "detail": "This client_id was already used for a message in another chat.",
    }
    assert await count_messages() == 1


# Two sends at once (PostgreSQL: real row locks and a real unique index) ----------------------


@pytest.fixture
def postgresql(transactional_db):
    from django.db import connection

    if connection.vendor == "postgresql":
        return
    if os.environ.get("PSICO_REQUIRE_SERVICES") == "1":
        pytest.fail(f"PSICO_REQUIRE_SERVICES=1 but the database is {connection.vendor}.")
    pytest.skip(f"Needs PostgreSQL: the database is {connection.vendor}.")


def _wait_for_a_blocked_session() -> None:
    from django.db import connection

    deadline = time.monotonic() + 30
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return
            time.sleep(0.01)
    pytest.fail("The second send never waited for the first one's transaction.")


@pytest.mark.parametrize("chat", ["same", "other"])
def test_two_sends_at_once_store_one_message(postgresql, appointment, chat):
    from django.db import connection, transaction
    from psico_chat.services import message_store

    second_chat = appointment if chat == "same" else AppointmentFactory(patient=appointment.patient)
    first_stored = threading.Event()
    finish_first = threading.Event()
    results: dict[str, object] = {}

    def send(name: str, target, hold: bool) -> None:
        try:
            with transaction.atomic():
                results[name] = message_store(
                    appointment=target,
                    sender=appointment.patient,
                    content=name,
                    client_id=CLIENT_ID,
                )
                if hold:
                    first_stored.set()
                    finish_first.wait(30)
        except ValidationError as exc:
            results[name] = exc
        finally:
            connection.close()

    first = threading.Thread(target=send, args=("first", appointment, True))
    second = threading.Thread(target=send, args=("second", second_chat, False))
    first.start()
    assert first_stored.wait(30)
    # The first send's transaction is still open: the second waits for it (on the
    # appointment's lock in one chat, on the unique index across chats).
    second.start()
    _wait_for_a_blocked_session()
    finish_first.set()
    first.join(30)
    second.join(30)

    stored = results["first"]
    assert isinstance(stored, StoredMessage) and stored.created
    assert list(ChatMessage.objects.values_list("id", flat=True)) == [stored.message.pk]
    if chat == "same":
        repeat = results["second"]
        assert isinstance(repeat, StoredMessage) and not repeat.created
        assert repeat.message.pk == stored.message.pk
    else:
        refused = results["second"]
        assert isinstance(refused, ValidationError)
        assert [error.code for error in refused.error_dict["client_id"]] == ["client_id_reused"]
