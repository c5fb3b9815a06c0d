"""The chat socket through the full ASGI stack, with WebsocketCommunicator."""

from __future__ import annotations

import datetime as dt

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from django.utils import timezone
from psico_accounts.testing.factories import AdminFactory, PatientFactory
from psico_chat.broadcasting import chat_broadcast_async
from psico_chat.models import ChatMessage
from psico_chat.services import message_store
from psico_chat.testing.factories import ChatMessageFactory
from psico_scheduling.models import Appointment, AppointmentStatus
from psico_scheduling.testing.factories import AppointmentFactory

pytestmark = pytest.mark.django_db(transaction=True)


async def next_frame(communicator) -> dict:
    return await communicator.receive_json_from(timeout=5)


async def send_message(communicator, text: str) -> dict:
    """Send a chat message and return the sender's own copy of it."""
    await communicator.send_json_to({"type": "chat.message", "message": text})
    frame = await next_frame(communicator)
    assert frame["type"] == "chat.message", frame
    return frame


stored = database_sync_to_async(
    lambda appointment: list(
        ChatMessage.objects.filter(appointment=appointment).values_list("id", "content")
    )
)


# Authentication and authorisation ----------------------------------------------------------


async def test_a_token_in_the_query_string_authenticates(open_socket, appointment):
    socket = await open_socket(appointment.pk, user=appointment.patient)

    frame = await send_message(socket, "Hola")

    assert frame["sender"]["id"] == appointment.patient.pk


async def test_a_session_cookie_authenticates(open_socket, appointment, session_key_for):
    socket = await open_socket(
        appointment.pk, session_key=await session_key_for(appointment.psychologist)
    )

    frame = await send_message(socket, "Buenas tardes")

    assert frame["sender"]["id"] == appointment.psychologist.pk


async def test_the_session_is_tried_before_the_token(open_socket, appointment, session_key_for):
    socket = await open_socket(
        appointment.pk,
        session_key=await session_key_for(appointment.patient),
        user=appointment.psychologist,
    )

    frame = await send_message(socket, "¿Quién soy?")

    assert frame["sender"]["id"] == appointment.patient.pk


async def test_without_credentials_the_socket_closes_with_4401(refusal_code, appointment):
    assert await refusal_code(appointment.pk) == 4401


async def test_frames_racing_a_refusal_are_ignored(chat_communicator, appointment):
    communicator = await chat_communicator(appointment.pk)
    await communicator.connect()
    assert (await communicator.receive_output(timeout=5))["code"] == 4401

    await communicator.send_json_to({"type": "resume", "after": 0})

    # disconnect() re-raises whatever the consumer raised while handling that frame.
    await communicator.disconnect()


async def test_an_unknown_token_closes_with_4401(refusal_code, appointment):
    assert await refusal_code(appointment.pk, token="0" * 40) == 4401


@pytest.mark.parametrize(
    "token",
    [
        # A NUL byte: PostgreSQL refuses it in text with DataError if it reaches a query.
        "%00",
        "%00" + "0" * 39,
        "not-a-token",
        # Token keys are lower-case hexadecimal; these have the right length only.
        "g" * 40,
        "A" * 40,
        "0" * 41,
        "0" * 500,
    ],
)
async def test_a_malformed_token_closes_with_4401(refusal_code, appointment, token):
    assert await refusal_code(appointment.pk, token=token) == 4401


async def test_the_token_of_an_inactive_user_closes_with_4401(refusal_code, appointment):
    patient = appointment.patient
    patient.is_active = False
    await database_sync_to_async(patient.save)()

    assert await refusal_code(appointment.pk, user=patient) == 4401


async def test_a_stranger_closes_with_4403(refusal_code, appointment):
    stranger = await database_sync_to_async(PatientFactory)()

    assert await refusal_code(appointment.pk, user=stranger) == 4403


async def test_an_admin_is_not_a_participant_either(refusal_code, appointment):
    admin = await database_sync_to_async(AdminFactory)()

    assert await refusal_code(appointment.pk, user=admin) == 4403


async def test_a_missing_appointment_closes_with_4404(refusal_code, patient):
    assert await refusal_code(987654, user=patient) == 4404


async def test_a_cancelled_appointment_has_a_closed_chat(refusal_code, patient, professional):
    cancelled = await database_sync_to_async(AppointmentFactory)(
        patient=patient, psychologist=professional, status=AppointmentStatus.CANCELLED
    )

    assert await refusal_code(cancelled.pk, user=patient) == 4403


async def test_the_chat_closes_some_days_after_the_session(
    refusal_code, open_socket, settings, patient, professional
):
    settings.PSICO_CHAT = {"OPEN_DAYS_AFTER_SESSION": 3}
    start = timezone.now() - dt.timedelta(days=3, hours=2)
    past = await database_sync_to_async(AppointmentFactory)(
        patient=patient,
        psychologist=professional,
        start=start,
        end=start + dt.timedelta(hours=1),
        status=AppointmentStatus.COMPLETED,
    )

    assert await refusal_code(past.pk, user=patient) == 4403

    settings.PSICO_CHAT = {"OPEN_DAYS_AFTER_SESSION": 4}
    await open_socket(past.pk, user=patient)


# Messages, typing, read receipts -------------------------------------------------------------


async def test_two_participants_exchange_messages(open_socket, appointment):
    patient = await open_socket(appointment.pk, user=appointment.patient)
    professional = await open_socket(appointment.pk, user=appointment.psychologist)

    own_copy = await send_message(patient, "Hola, ¿confirmamos la sesión?")
    received = await next_frame(professional)
    reply = await send_message(professional, "Sí, nos vemos mañana.")
    reply_received = await next_frame(patient)

    assert received == own_copy
    assert received["message"] == "Hola, ¿confirmamos la sesión?"
    assert received["appointment"] == appointment.pk
    assert received["sender"] == {
        "id": appointment.patient.pk,
        "name": appointment.patient.get_full_name(),
    }
    assert received["created_at"]
    assert reply_received == reply
    assert reply["sender"]["id"] == appointment.psychologist.pk
    assert await stored(appointment) == [
        (received["id"], "Hola, ¿confirmamos la sesión?"),
        (reply["id"], "Sí, nos vemos mañana."),
    ]


async def test_a_bare_message_frame_is_accepted(open_socket, appointment):
    socket = await open_socket(appointment.pk, user=appointment.patient)

    await socket.send_json_to({"message": "Sin tipo"})
    frame = await next_frame(socket)

    assert frame["type"] == "chat.message"
    assert frame["message"] == "Sin tipo"


async def test_typing_reaches_the_other_side_and_is_not_echoed(open_socket, appointment):
    patient = await open_socket(appointment.pk, user=appointment.patient)
    professional = await open_socket(appointment.pk, user=appointment.psychologist)

    await patient.send_json_to({"type": "typing"})
    typing = await next_frame(professional)
    # Had the typing frame been echoed, it would arrive before this message.
    own_copy = await send_message(patient, "Ya escribo")

    assert typing == {
        "type": "typing",
        "user": {"id": appointment.patient.pk, "name": appointment.patient.get_full_name()},
    }
    assert own_copy["message"] == "Ya escribo"


async def test_read_receipts_reach_the_sender_and_are_stored(open_socket, appointment):
    patient = await open_socket(appointment.pk, user=appointment.patient)
    professional = await open_socket(appointment.pk, user=appointment.psychologist)
    first = await send_message(patient, "Uno")
    second = await send_message(patient, "Dos")
    assert [(await next_frame(professional))["id"] for _ in range(2)] == [first["id"], second["id"]]

    await professional.send_json_to({"type": "read", "message_id": second["id"]})
    receipt = await next_frame(patient)

    assert receipt == {
        "type": "read",
        "message_id": second["id"],
        "user": {
            "id": appointment.psychologist.pk,
            "name": appointment.psychologist.get_full_name(),
        },
    }
    unread = await database_sync_to_async(
        ChatMessage.objects.filter(appointment=appointment, read_at__isnull=True).count
    )()
    assert unread == 0


async def test_a_rest_post_reaches_open_sockets(open_socket, appointment, api_client_for):
    socket = await open_socket(appointment.pk, user=appointment.patient)
    client = await sync_to_async(api_client_for)(appointment.psychologist)

    response = await sync_to_async(client.post)(
        f"/api/chat/{appointment.pk}/messages/", {"message": "Enviado por REST"}, format="json"
    )
    frame = await next_frame(socket)

    assert response.status_code == 201
    assert frame["id"] == response.json()["id"]
    assert frame["message"] == "Enviado por REST"


# History and resume -------------------------------------------------------------------------


@pytest.fixture
def seven_messages(appointment):
    return [
        ChatMessageFactory(appointment=appointment, sender=appointment.patient).pk for _ in range(7)
    ]


async def test_history_pages_backwards_from_a_cursor(
    open_socket, appointment, seven_messages, settings
):
    settings.PSICO_CHAT = {"HISTORY_PAGE_SIZE": 3}
    ids = seven_messages
    other = await database_sync_to_async(ChatMessageFactory)()  # another chat: never included
    socket = await open_socket(appointment.pk, user=appointment.psychologist)

    await socket.send_json_to({"type": "history"})
    newest = await next_frame(socket)
    await socket.send_json_to({"type": "history", "before": ids[4]})
    middle = await next_frame(socket)
    await socket.send_json_to({"type": "history", "before": ids[1], "limit": 50})
    oldest = await next_frame(socket)

    assert newest["type"] == "history"
    assert [m["id"] for m in newest["messages"]] == ids[4:]
    assert newest["has_more"] is True
    assert [m["id"] for m in middle["messages"]] == ids[1:4]
    assert middle["before"] == ids[4]
    assert middle["has_more"] is True
    assert [m["id"] for m in oldest["messages"]] == ids[:1]
    assert oldest["has_more"] is False
    assert other.pk not in {m["id"] for page in (newest, middle, oldest) for m in page["messages"]}


async def test_resume_sends_every_missed_message_once_and_in_order(
    open_socket, appointment, seven_messages
):
    ids = seven_messages
    socket = await open_socket(appointment.pk, user=appointment.patient)

    await socket.send_json_to({"type": "resume", "after": ids[2]})
    replayed = [await next_frame(socket) for _ in range(4)]
    done = await next_frame(socket)
    # Asking again, or for less, repeats nothing.
    await socket.send_json_to({"type": "resume", "after": ids[4]})
    again = await next_frame(socket)

    assert [(m["type"], m["id"]) for m in replayed] == [("chat.message", i) for i in ids[3:]]
    assert done == {"type": "resume", "after": ids[2], "count": 4, "last_id": ids[6]}
    assert again == {"type": "resume", "after": ids[4], "count": 0, "last_id": ids[6]}


async def test_resume_skips_what_arrived_live_before_it(open_socket, appointment, seven_messages):
    ids = seven_messages
    patient = await open_socket(appointment.pk, user=appointment.patient)
    professional = await open_socket(appointment.pk, user=appointment.psychologist)

    live = await send_message(professional, "En vivo")
    live_copy = await next_frame(patient)
    await patient.send_json_to({"type": "resume", "after": ids[4]})
    replayed = [await next_frame(patient) for _ in range(2)]
    done = await next_frame(patient)
    later = await send_message(patient, "Después")

    assert live_copy["id"] == live["id"]
    assert [m["id"] for m in replayed] == ids[5:]
    assert done == {"type": "resume", "after": ids[4], "count": 2, "last_id": live["id"]}
    assert later["message"] == "Después"


async def test_messages_stored_while_away_come_back_on_resume(open_socket, appointment):
    patient = await open_socket(appointment.pk, user=appointment.patient)
    last_seen = (await send_message(patient, "Me desconecto"))["id"]
    await patient.disconnect()
    professional = await open_socket(appointment.pk, user=appointment.psychologist)
    missed = [(await send_message(professional, f"Mensaje {n}"))["id"] for n in range(3)]

    patient = await open_socket(appointment.pk, user=appointment.patient)
    await patient.send_json_to({"type": "resume", "after": last_seen})
    replayed = [await next_frame(patient) for _ in range(3)]
    done = await next_frame(patient)

    assert [m["id"] for m in replayed] == missed
    assert done["count"] == 3


# Delivery from channel-layer events ----------------------------------------------------------

store_quietly = database_sync_to_async(
    lambda appointment, sender, text: message_store(
        appointment=appointment, sender=sender, content=text
    )
)


async def test_an_event_that_follows_the_last_delivered_message_is_sent_as_it_is(
    open_socket, appointment
):
    patient = await open_socket(appointment.pk, user=appointment.patient)
    stored = await store_quietly(appointment, appointment.psychologist, "Hola")
    # Gone from the database: only the event itself can still deliver it.
    await database_sync_to_async(stored.message.delete)()

    await chat_broadcast_async(appointment_id=appointment.pk, event=stored.event)
    frame = await next_frame(patient)

    assert frame == {"type": "chat.message", **stored.event["message"]}
    assert frame["message"] == "Hola" and frame["id"] == stored.event["id"]


async def test_events_that_overtake_each_other_arrive_in_order_and_once(open_socket, appointment):
    # Two server processes broadcast through Redis independently: the later message's event
    # can reach a socket first.
    patient = await open_socket(appointment.pk, user=appointment.patient)
    first = await store_quietly(appointment, appointment.psychologist, "Primero")
    second = await store_quietly(appointment, appointment.patient, "Segundo")
    # Put in order from the events alone, without reading the database.
    await database_sync_to_async(ChatMessage.objects.all().delete)()

    for stored in (second, first, second):
        await chat_broadcast_async(appointment_id=appointment.pk, event=stored.event)
    frames = [await next_frame(patient) for _ in range(2)]

    assert second.event["previous_id"] == first.event["id"]
    assert [(f["id"], f["message"]) for f in frames] == [
        (first.message.pk, "Primero"),
        (second.message.pk, "Segundo"),
    ]
    assert await patient.receive_nothing(timeout=0.3)


async def test_a_lost_event_is_filled_in_from_the_database(open_socket, appointment):
    patient = await open_socket(appointment.pk, user=appointment.patient)
    professional = await open_socket(appointment.pk, user=appointment.psychologist)
    never_announced = await store_quietly(appointment, appointment.psychologist, "Perdido")

    await professional.send_json_to({"type": "chat.message", "message": "En vivo"})
    sent = [await next_frame(professional) for _ in range(2)]
    received = [await next_frame(patient) for _ in range(2)]

    # The sender's socket fills the gap too, before its own copy.
    expected = [(never_announced.message.pk, "Perdido"), (sent[1]["id"], "En vivo")]
    assert [(f["id"], f["message"]) for f in sent] == expected
    assert [(f["id"], f["message"]) for f in received] == expected
    assert await patient.receive_nothing(timeout=0.3)
    assert await professional.receive_nothing(timeout=0.1)


async def test_an_event_without_the_message_is_read_from_the_database(open_socket, appointment):
    # The event's shape before it carried the message (a server of the previous version).
    patient = await open_socket(appointment.pk, user=appointment.patient)
    stored = await store_quietly(appointment, appointment.psychologist, "Hola")
    bare = {key: stored.event[key] for key in ("type", "id", "appointment", "sender")}

    await chat_broadcast_async(appointment_id=appointment.pk, event=bare)
    frame = await next_frame(patient)

    assert frame == {"type": "chat.message", **stored.event["message"]}


# Bad frames and flooding --------------------------------------------------------------------


async def test_every_bad_frame_gets_an_error_frame_and_the_socket_survives(
    open_socket, appointment, settings
):
    settings.PSICO_CHAT = {"MAX_MESSAGE_LENGTH": 20, "MAX_FRAME_BYTES": 200}
    socket = await open_socket(appointment.pk, user=appointment.patient)
    bad_frames = [
        ({"text_data": "{not json"}, "invalid_json"),
        ({"bytes_data": b"\x00\x01binary"}, "binary_not_supported"),
        ({"text_data": '{"message": "' + "x" * 300 + '"}'}, "frame_too_large"),
        ({"text_data": "[1, 2, 3]"}, "invalid_frame"),
        ({"text_data": '{"type": "dance"}'}, "unknown_type"),
        ({"text_data": '{"type": ["chat.message"]}'}, "unknown_type"),
        ({"text_data": "{}"}, "unknown_type"),
        ({"text_data": '{"type": "chat.message", "message": ""}'}, "empty_message"),
        ({"text_data": '{"type": "chat.message", "message": "   "}'}, "empty_message"),
        ({"text_data": '{"type": "chat.message", "message": 42}'}, "invalid_frame"),
        ({"text_data": '{"message": "' + "x" * 21 + '"}'}, "message_too_long"),
        ({"text_data": '{"message": "a\\u0000b"}'}, "invalid_characters"),
        ({"text_data": '{"type": "read", "message_id": "7"}'}, "invalid_frame"),
        ({"text_data": '{"type": "read", "message_id": 999999}'}, "unknown_message"),
        ({"text_data": '{"type": "history", "before": -1}'}, "invalid_frame"),
        ({"text_data": '{"type": "resume"}'}, "invalid_frame"),
        ({"text_data": '{"type": "resume", "after": true}'}, "invalid_frame"),
    ]

    codes = []
    for frame, _expected in bad_frames:
        await socket.send_to(**frame)
        error = await next_frame(socket)
        assert error["type"] == "error"
        assert error["detail"]
        codes.append(error["code"])
    still_working = await send_message(socket, "Sigo aquí")

    assert codes == [expected for _frame, expected in bad_frames]
    assert still_working["message"] == "Sigo aquí"
    assert await stored(appointment) == [(still_working["id"], "Sigo aquí")]


async def test_error_details_follow_accept_language(open_socket, appointment):
    english = await open_socket(appointment.pk, user=appointment.patient, language="en")
    spanish = await open_socket(appointment.pk, user=appointment.psychologist)

    for socket in (english, spanish):
        await socket.send_json_to({"message": ""})

    assert (await next_frame(english))["detail"] == "The message is empty."
    assert (await next_frame(spanish))["detail"] == "El mensaje está vacío."


async def test_a_flood_of_messages_is_rate_limited(open_socket, appointment, settings):
    settings.PSICO_CHAT = {"RATE_LIMIT_MESSAGES": 3, "RATE_LIMIT_SECONDS": 3600}
    socket = await open_socket(appointment.pk, user=appointment.patient)

    accepted = [await send_message(socket, f"Mensaje {n}") for n in range(3)]
    await socket.send_json_to({"message": "Uno más"})
    error = await next_frame(socket)
    await socket.send_json_to({"type": "history"})
    history = await next_frame(socket)

    assert error["type"] == "error"
    assert error["code"] == "rate_limited"
    assert [m["id"] for m in history["messages"]] == [m["id"] for m in accepted]


async def test_a_flood_of_frames_of_any_kind_is_rate_limited(open_socket, appointment, settings):
    settings.PSICO_CHAT = {"RATE_LIMIT_FRAMES": 4, "RATE_LIMIT_SECONDS": 3600}
    socket = await open_socket(appointment.pk, user=appointment.patient)

    for _ in range(4):
        await socket.send_json_to({"type": "typing"})
    await socket.send_json_to({"type": "history"})
    error = await next_frame(socket)

    # The typing frames went to the other side only, so the first frame back is the refusal.
    assert error["type"] == "error"
    assert error["code"] == "rate_limited"


async def test_a_chat_closed_while_connected_refuses_messages(open_socket, appointment):
    socket = await open_socket(appointment.pk, user=appointment.patient)
    await database_sync_to_async(Appointment.objects.filter(pk=appointment.pk).update)(
        status=AppointmentStatus.CANCELLED
    )

    await socket.send_json_to({"message": "¿Sigue abierto?"})
    error = await next_frame(socket)

    assert error["code"] == "chat_closed"
    assert await stored(appointment) == []
