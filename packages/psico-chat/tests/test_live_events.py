"""``ws/notifications/``: per-user live events through the full test ASGI stack."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.utils import timezone
from psico_accounts.testing.factories import AdminFactory, PatientFactory, ProfessionalFactory
from psico_chat.selectors import chat_unread_counts
from psico_chat.testing.factories import ChatMessageFactory
from psico_chat.tickets import ticket_issue
from psico_scheduling import services as scheduling
from psico_scheduling.models import Appointment, AppointmentStatus
from psico_scheduling.testing.factories import AppointmentFactory

pytestmark = pytest.mark.django_db(transaction=True)

NOTIFICATIONS = "/ws/notifications/"


@pytest.fixture
async def notifications(session_key_for):
    """``await notifications(user=..., query=..., session=True)``: an accepted (or refused)
    ``ws/notifications/`` socket through tests.asgi (origin check, auth, routing)."""
    from psico_accounts.testing.tokens import token_key_for

    from tests.asgi import application

    opened = []

    async def connect(*, user=None, query: str = "", session: bool = True, headers=()):
        headers = [(b"origin", b"http://localhost"), *headers]
        if user is not None and session:
            key = await session_key_for(user)
            headers.append((b"cookie", f"{settings.SESSION_COOKIE_NAME}={key}".encode()))
        elif user is not None:
            query = f"token={await database_sync_to_async(token_key_for)(user)}"
        path = f"{NOTIFICATIONS}?{query}" if query else NOTIFICATIONS
        communicator = WebsocketCommunicator(application, path, headers)
        opened.append(communicator)
        connected, _ = await communicator.connect(timeout=10)
        assert connected
        return communicator

    yield connect
    for communicator in opened:
        await communicator.disconnect()


@pytest.fixture
async def chat_socket(open_socket):
    return open_socket


async def next_frame(socket) -> dict:
    return await socket.receive_json_from(timeout=5)


async def close_code(socket) -> int:
    message = await socket.receive_output(timeout=5)
    assert message["type"] == "websocket.close", message
    return message["code"]


async def assert_alive(socket) -> None:
    await socket.send_json_to({"type": "ping"})
    assert await next_frame(socket) == {"type": "pong"}


async def send_chat(socket, text: str) -> dict:
    await socket.send_json_to({"type": "chat.message", "message": text})
    frame = await next_frame(socket)
    assert frame["type"] == "chat.message", frame
    return frame


def in_hours(hours: float) -> dt.datetime:
    return timezone.now().replace(microsecond=0) + dt.timedelta(hours=hours)


# Authentication --------------------------------------------------------------------------


async def test_anonymous_is_closed_with_4401(notifications):
    socket = await notifications()
    assert await close_code(socket) == 4401


async def test_a_bad_ticket_or_token_is_4401(notifications):
    for query in ("ticket=" + "a" * 43, "token=" + "0" * 40, "ticket=%00"):
        socket = await notifications(query=query)
        assert await close_code(socket) == 4401


@pytest.mark.parametrize("role", ["patient", "professional", "admin"])
async def test_the_session_authenticates_every_role(notifications, role):
    factory = {"patient": PatientFactory, "professional": ProfessionalFactory}.get(
        role, AdminFactory
    )
    user = await database_sync_to_async(factory)()
    await assert_alive(await notifications(user=user))


async def test_a_ticket_authenticates_once(notifications, patient):
    ticket = await database_sync_to_async(ticket_issue)(user=patient)
    await assert_alive(await notifications(query=f"ticket={ticket}"))
    # Single use: the same ticket opens nothing the second time.
    assert await close_code(await notifications(query=f"ticket={ticket}")) == 4401


async def test_the_deprecated_token_authenticates(notifications, patient):
    await assert_alive(await notifications(user=patient, session=False))


async def test_a_foreign_origin_is_refused(patient, session_key_for):
    from tests.asgi import application

    key = await session_key_for(patient)
    socket = WebsocketCommunicator(
        application,
        NOTIFICATIONS,
        [
            (b"origin", b"https://evil.example.com"),
            (b"cookie", f"{settings.SESSION_COOKIE_NAME}={key}".encode()),
        ],
    )
    connected, _ = await socket.connect(timeout=10)
    assert not connected


# chat.unread -----------------------------------------------------------------------------


async def test_a_message_on_the_socket_pushes_the_recipients_unread_count(
    notifications, chat_socket, appointment
):
    professional_live = await notifications(user=appointment.psychologist)
    patient_live = await notifications(user=appointment.patient)
    chat = await chat_socket(appointment.pk, user=appointment.patient)

    await send_chat(chat, "Hola")
    assert await next_frame(professional_live) == {
        "type": "chat.unread",
        "appointment": appointment.pk,
        "unread": 1,
    }
    await send_chat(chat, "¿Está ahí?")
    assert (await next_frame(professional_live))["unread"] == 2
    # The sender's own count did not change: nothing for them.
    assert await patient_live.receive_nothing(timeout=0.3)


async def test_a_rest_post_pushes_the_recipients_unread_count(
    notifications, appointment, api_client_for
):
    await database_sync_to_async(ChatMessageFactory)(
        appointment=appointment, sender=appointment.psychologist
    )
    patient_live = await notifications(user=appointment.patient)
    client = await sync_to_async(api_client_for)(appointment.psychologist)

    response = await sync_to_async(client.post)(
        f"/api/chat/{appointment.pk}/messages/", {"message": "Buenos días"}, format="json"
    )

    assert response.status_code == 201
    assert await next_frame(patient_live) == {
        "type": "chat.unread",
        "appointment": appointment.pk,
        "unread": 2,
    }


async def test_reading_pushes_the_lower_count_to_the_readers_other_devices(
    notifications, chat_socket, appointment
):
    phone = await notifications(user=appointment.psychologist)
    patient_chat = await chat_socket(appointment.pk, user=appointment.patient)
    first = await send_chat(patient_chat, "Uno")
    await send_chat(patient_chat, "Dos")
    # Two messages in a row may share one push (the count is absolute): it ends at 2.
    counts = [(await next_frame(phone))["unread"]]
    if counts[-1] < 2:
        counts.append((await next_frame(phone))["unread"])
    assert counts in ([1, 2], [2])

    laptop_chat = await chat_socket(appointment.pk, user=appointment.psychologist)
    await laptop_chat.send_json_to({"type": "read", "message_id": first["id"]})
    assert await next_frame(phone) == {
        "type": "chat.unread",
        "appointment": appointment.pk,
        "unread": 1,
    }


async def test_after_a_burst_the_badge_shows_every_message(notifications, chat_socket, appointment):
    professional_live = await notifications(user=appointment.psychologist)
    patient = await chat_socket(appointment.pk, user=appointment.patient)
    for n in range(8):
        await patient.send_json_to({"message": f"Mensaje {n}"})
    for _ in range(8):
        assert (await next_frame(patient))["type"] == "chat.message"

    counts = []
    while not counts or counts[-1] < 8:
        frame = await next_frame(professional_live)
        assert frame["type"] == "chat.unread" and frame["appointment"] == appointment.pk
        counts.append(frame["unread"])

    # A push already reading the counts may be followed by one more, with the same count.
    while not await professional_live.receive_nothing(timeout=0.5):
        counts.append((await next_frame(professional_live))["unread"])
    # Coalesced: at most one push per message, never a count going back, ending at 8.
    assert counts == sorted(counts) and len(counts) <= 8 and counts[-1] == 8


async def test_events_of_other_peoples_chats_never_arrive(notifications, chat_socket, appointment):
    stranger = await database_sync_to_async(ProfessionalFactory)()
    other_patient = await database_sync_to_async(PatientFactory)()
    stranger_live = await notifications(user=stranger)
    other_patient_live = await notifications(user=other_patient)
    professional_live = await notifications(user=appointment.psychologist)
    chat = await chat_socket(appointment.pk, user=appointment.patient)

    await send_chat(chat, "Privado")
    assert (await next_frame(professional_live))["type"] == "chat.unread"
    await database_sync_to_async(scheduling.appointment_cancel)(
        appointment=appointment, by=appointment.patient, reason="Viaje"
    )
    assert (await next_frame(professional_live))["type"] == "appointment.updated"

    assert await stranger_live.receive_nothing(timeout=0.3)
    assert await other_patient_live.receive_nothing(timeout=0.1)


# appointment.updated ---------------------------------------------------------------------


async def test_confirm_and_cancel_reach_both_participants(notifications, appointment):
    patient, professional = appointment.patient, appointment.psychologist
    patient_live = await notifications(user=patient)
    professional_live = await notifications(user=professional)

    await database_sync_to_async(scheduling.appointment_confirm)(
        appointment=appointment, by=professional
    )
    await database_sync_to_async(scheduling.appointment_cancel)(
        appointment=appointment, by=patient, reason="Enfermedad"
    )

    expected = [
        {
            "type": "appointment.updated",
            "appointment": appointment.pk,
            "status": AppointmentStatus.CONFIRMED,
            "event": "appointment.confirmed",
        },
        {
            "type": "appointment.updated",
            "appointment": appointment.pk,
            "status": AppointmentStatus.CANCELLED,
            "event": "appointment.cancelled",
        },
    ]
    for socket in (patient_live, professional_live):
        assert [await next_frame(socket), await next_frame(socket)] == expected


async def test_a_reschedule_is_pushed(
    notifications, patient, professional, weekly_schedule, next_monday, book
):
    booked = await database_sync_to_async(book)(patient, professional, next_monday, "10:00")
    professional_live = await notifications(user=professional)

    await database_sync_to_async(scheduling.appointment_update)(
        appointment=booked, by=patient, start_time=dt.time(11)
    )

    assert await next_frame(professional_live) == {
        "type": "appointment.updated",
        "appointment": booked.pk,
        "status": AppointmentStatus.PENDING,
        "event": "appointment.rescheduled",
    }


async def test_completing_a_session_is_pushed(notifications, patient, professional):
    started = await database_sync_to_async(AppointmentFactory)(
        patient=patient, psychologist=professional, start=in_hours(-2), end=in_hours(-1)
    )
    patient_live = await notifications(user=patient)

    await database_sync_to_async(scheduling.appointment_complete)(
        appointment=started, by=professional
    )

    frame = await next_frame(patient_live)
    assert frame["status"] == AppointmentStatus.COMPLETED
    assert frame["event"] == "appointment.completed"


async def test_a_booking_is_pushed_to_the_professional(
    notifications, patient, professional, weekly_schedule, next_monday, book
):
    professional_live = await notifications(user=professional)

    booked = await database_sync_to_async(book)(patient, professional, next_monday, "09:00")

    assert await next_frame(professional_live) == {
        "type": "appointment.updated",
        "appointment": booked.pk,
        "status": AppointmentStatus.PENDING,
        "event": "appointment.booked",
    }


# Client frames ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ("x" * 20_000, "frame_too_large"),
        ("[" * 500 + "]" * 500, "invalid_json"),
        ('{"type": "\\ud800"}', "invalid_json"),
        ("\ud800", "invalid_json"),
        ("not json", "invalid_json"),
        ("[]", "unknown_type"),
        ('{"type": "chat.message", "message": "hola"}', "unknown_type"),
        ('{"type": ["ping"]}', "unknown_type"),
        (json.dumps({"type": "ping", "nested": [[[[1]]]]}), None),
    ],
)
async def test_hostile_frames_get_an_error_and_the_socket_stays_open(
    notifications, patient, frame, code
):
    socket = await notifications(user=patient)

    await socket.send_to(text_data=frame)

    reply = await next_frame(socket)
    if code is None:
        assert reply == {"type": "pong"}
    else:
        assert reply["type"] == "error"
        assert reply["code"] == code
        assert reply["detail"]
    await assert_alive(socket)


async def test_a_binary_frame_gets_an_error(notifications, patient):
    socket = await notifications(user=patient)

    await socket.send_to(bytes_data=b"\x00\xff" * 100)

    assert (await next_frame(socket))["code"] == "binary_not_supported"
    await assert_alive(socket)


async def test_errors_speak_the_clients_language(notifications, patient):
    socket = await notifications(user=patient, headers=[(b"accept-language", b"es")])

    await socket.send_json_to({"type": "nope"})

    assert (await next_frame(socket))["detail"] == "Tipo de mensaje desconocido."


async def test_a_flood_of_frames_is_rate_limited(notifications, patient, settings):
    settings.PSICO_CHAT = {"RATE_LIMIT_FRAMES": 3, "RATE_LIMIT_SECONDS": 60}
    socket = await notifications(user=patient)

    for _ in range(4):
        await socket.send_json_to({"type": "ping"})
    replies = [await next_frame(socket) for _ in range(4)]

    assert replies[:3] == [{"type": "pong"}] * 3
    assert replies[3]["code"] == "rate_limited"


# Unread counts -----------------------------------------------------------------------------


def test_unread_counts_take_one_query(appointment, django_assert_num_queries):
    ChatMessageFactory.create_batch(3, appointment=appointment, sender=appointment.patient)
    ChatMessageFactory(appointment=appointment, sender=appointment.psychologist)
    ChatMessageFactory(appointment=appointment, sender=appointment.patient, read_at=timezone.now())
    ChatMessageFactory()  # another chat

    with django_assert_num_queries(1):
        counts = chat_unread_counts(appointment_id=appointment.pk)

    assert counts == {appointment.psychologist.pk: 3, appointment.patient.pk: 1}
    assert chat_unread_counts(appointment_id=appointment.pk + 1000) == {}


# Channel layer outage (a private redis-server, never the shared one) -----------------------


@pytest.fixture
def private_layer(private_redis, settings):
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [private_redis.url]},
        }
    }
    return private_redis


async def test_with_the_layer_down_the_socket_closes_with_1013(
    notifications, patient, private_layer
):
    await assert_alive(await notifications(user=patient))
    private_layer.stop()

    assert await close_code(await notifications(user=patient)) == 1013


async def test_an_open_socket_closes_with_1013_when_the_layer_drops(
    notifications, patient, private_layer
):
    socket = await notifications(user=patient)
    await assert_alive(socket)

    private_layer.stop()

    message = await socket.receive_output(timeout=15)
    assert message == {"type": "websocket.close", "code": 1013}


async def test_pushes_never_fail_a_message_nor_an_appointment_change(
    notifications, appointment, api_client_for, private_layer, caplog
):
    professional = appointment.psychologist
    private_layer.stop()
    client = await sync_to_async(api_client_for)(appointment.patient)

    response = await sync_to_async(client.post)(
        f"/api/chat/{appointment.pk}/messages/", {"message": "Sin Redis"}, format="json"
    )
    confirmed = await database_sync_to_async(scheduling.appointment_confirm)(
        appointment=appointment, by=professional
    )

    assert response.status_code == 201, response.content
    assert confirmed.status == AppointmentStatus.CONFIRMED
    stored = await database_sync_to_async(
        lambda: Appointment.objects.get(pk=appointment.pk).status
    )()
    assert stored == AppointmentStatus.CONFIRMED
    warned = {record.getMessage().split(";")[0] for record in caplog.records}
    assert f"Could not broadcast chat.message to the chat of appointment {appointment.pk}" in warned
    assert any(
        message.startswith(f"Could not push appointment.updated of appointment {appointment.pk}")
        for message in warned
    )


async def test_pushes_resume_once_the_layer_is_back(notifications, appointment, private_layer):
    professional = appointment.psychologist
    private_layer.stop()
    await database_sync_to_async(scheduling.appointment_confirm)(
        appointment=appointment, by=professional
    )
    private_layer.start()
    professional_live = await notifications(user=professional)

    await database_sync_to_async(scheduling.appointment_cancel)(
        appointment=appointment, by=professional, reason="Enfermedad"
    )

    assert (await next_frame(professional_live))["event"] == "appointment.cancelled"


# waitlist.offered ------------------------------------------------------------------------


async def test_a_waiting_list_offer_is_pushed_to_its_patient_only(
    notifications, patient, professional, weekly_schedule, next_monday, book
):
    from psico_scheduling.models import WaitlistOffer
    from psico_scheduling.tasks import relay_appointment_events

    booked = await database_sync_to_async(book)(patient, professional, next_monday, "10:00")
    waiting = await database_sync_to_async(PatientFactory)()
    entry = await database_sync_to_async(scheduling.waitlist_entry_create)(
        patient=waiting, psychologist=professional, date_from=next_monday, date_to=next_monday
    )
    waiting_live = await notifications(user=waiting)
    professional_live = await notifications(user=professional)
    await database_sync_to_async(scheduling.appointment_cancel)(
        appointment=booked, by=patient, reason="Viaje"
    )
    await database_sync_to_async(relay_appointment_events.call)()

    offer = await database_sync_to_async(WaitlistOffer.objects.get)()
    assert await next_frame(waiting_live) == {
        "type": "waitlist.offered",
        "waitlist_entry": entry.pk,
        "psychologist": professional.pk,
        "start": booked.start.astimezone(dt.UTC).isoformat(),
        "end": booked.end.astimezone(dt.UTC).isoformat(),
        "expires_at": offer.expires_at.astimezone(dt.UTC).isoformat(),
    }
    # The professional hears of the cancellation, not of the offer: the pong that answers a
    # later ping comes right after (the offer's push was sent before the relay returned).
    assert (await next_frame(professional_live))["event"] == "appointment.cancelled"
    await assert_alive(professional_live)
