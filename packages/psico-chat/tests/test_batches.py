"""Messages stored several at a time: one transaction per batch, each message answered alone.

A socket stores the ``chat.message`` frames that queue up while it is storing in one batch
(:func:`psico_chat.services.message_store_many`), with one budget take for all of them; the
unread badge of ``ws/notifications/`` is pushed once per burst (tests/test_live_events.py).
"""

from __future__ import annotations

import asyncio
import uuid

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.core.exceptions import ValidationError
from psico_chat.broadcasting import chat_broadcast_messages_async, chat_group_name
from psico_chat.models import ChatMessage
from psico_chat.services import StoredMessage, message_store_many
from psico_chat.testing.factories import ChatMessageFactory
from psico_chat.throttling import message_budget_take, message_budget_take_many
from psico_scheduling.models import AppointmentStatus
from psico_scheduling.testing.factories import AppointmentFactory

CLIENT_ID = "6f1c1d2e-8a43-4b6f-9d2e-0c5b7a9e1f30"


async def next_frame(socket) -> dict:
    return await socket.receive_json_from(timeout=5)


def error_code(outcome) -> str:
    assert isinstance(outcome, ValidationError), outcome
    errors = (
        [e for errors in outcome.error_dict.values() for e in errors]
        if hasattr(outcome, "error_dict")
        else outcome.error_list
    )
    return errors[0].code


# The service --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_batch_is_stored_in_order_each_chained_to_the_one_before(
    appointment, django_assert_num_queries
):
    before = ChatMessageFactory(appointment=appointment, sender=appointment.psychologist)
    texts = [f"Mensaje {n}" for n in range(5)]

    # The lock, the newest id, one INSERT for all five: as many queries as for one message
    # (and a SAVEPOINT and its RELEASE, which stand for BEGIN and COMMIT inside a test's
    # transaction).
    with django_assert_num_queries(5):
        outcomes = message_store_many(
            appointment=appointment,
            sender=appointment.patient,
            messages=[(text, None) for text in texts],
        )

    assert all(isinstance(outcome, StoredMessage) and outcome.created for outcome in outcomes)
    ids = [outcome.message.pk for outcome in outcomes]
    assert ids == sorted(ids)
    assert [outcome.event["previous_id"] for outcome in outcomes] == [before.pk, *ids[:-1]]
    assert [outcome.event["message"]["message"] for outcome in outcomes] == texts
    stored = ChatMessage.objects.filter(appointment=appointment, pk__gt=before.pk)
    assert list(stored.values_list("content", flat=True)) == texts


@pytest.mark.django_db
def test_one_message_still_costs_three_queries(appointment, django_assert_num_queries):
    with django_assert_num_queries(3 + 2):
        (outcome,) = message_store_many(
            appointment=appointment, sender=appointment.patient, messages=[("Hola", None)]
        )
    assert outcome.created


@pytest.mark.django_db
def test_a_bad_message_gets_its_error_and_the_others_are_stored(appointment):
    outcomes = message_store_many(
        appointment=appointment,
        sender=appointment.patient,
        messages=[("Uno", None), ("   ", None), ("Dos", "not-a-uuid"), ("Tres", None)],
    )

    assert outcomes[0].message.content == "Uno"
    assert error_code(outcomes[1]) == "empty_message"
    assert error_code(outcomes[2]) == "invalid_client_id"
    assert outcomes[3].message.content == "Tres"
    # The chain skips what was not stored.
    assert outcomes[3].event["previous_id"] == outcomes[0].message.pk


@pytest.mark.django_db
def test_client_ids_in_a_batch_store_each_message_once(appointment, django_assert_num_queries):
    known = ChatMessageFactory(
        appointment=appointment, sender=appointment.patient, client_id=uuid.UUID(CLIENT_ID)
    )
    fresh = str(uuid.uuid4())

    # The lock, the known client_ids (one query), the predecessor of the repeat, the newest
    # id, and one INSERT in a savepoint; in the transaction's savepoint.
    with django_assert_num_queries(9):
        outcomes = message_store_many(
            appointment=appointment,
            sender=appointment.patient,
            messages=[("Nuevo", fresh), ("Otra vez", CLIENT_ID), ("Nuevo, reenviado", fresh)],
        )

    assert outcomes[0].created and outcomes[0].message.content == "Nuevo"
    assert not outcomes[1].created and outcomes[1].message.pk == known.pk
    assert not outcomes[2].created and outcomes[2].message.pk == outcomes[0].message.pk
    assert ChatMessage.objects.filter(client_id=fresh).count() == 1


@pytest.mark.django_db
def test_a_closed_chat_refuses_the_whole_batch_but_answers_repeats(appointment):
    known = ChatMessageFactory(
        appointment=appointment, sender=appointment.patient, client_id=uuid.UUID(CLIENT_ID)
    )
    appointment.status = AppointmentStatus.CANCELLED
    appointment.save()

    outcomes = message_store_many(
        appointment=appointment,
        sender=appointment.patient,
        messages=[("Uno", None), ("Otra vez", CLIENT_ID)],
    )

    assert error_code(outcomes[0]) == "chat_closed"
    assert outcomes[1].message.pk == known.pk and not outcomes[1].created


@pytest.mark.django_db
def test_a_client_id_of_another_chat_is_refused_in_a_batch(appointment):
    other = AppointmentFactory(patient=appointment.patient, status=AppointmentStatus.CONFIRMED)
    ChatMessageFactory(appointment=other, sender=other.patient, client_id=uuid.UUID(CLIENT_ID))

    outcomes = message_store_many(
        appointment=appointment,
        sender=appointment.patient,
        messages=[("Hola", CLIENT_ID), ("Adiós", None)],
    )

    assert error_code(outcomes[0]) == "client_id_reused"
    assert outcomes[1].created


# The budget ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_budget_for_several_answers_as_single_takes_would(settings, appointment):
    settings.PSICO_CHAT = {"RATE_LIMIT_MESSAGES": 4, "RATE_LIMIT_SECONDS": 3600}
    ids = {"user_id": appointment.patient.pk, "appointment_id": appointment.pk}

    assert message_budget_take(**ids)
    assert message_budget_take_many(**ids, count=5) == [True, True, True, False, False]
    assert not message_budget_take(**ids)


# The socket ---------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
async def test_frames_sent_at_once_are_answered_in_order_and_delivered_once(
    open_socket, appointment, settings
):
    settings.PSICO_CHAT = {"RATE_LIMIT_MESSAGES": 20, "RATE_LIMIT_SECONDS": 3600}
    patient = await open_socket(appointment.pk, user=appointment.patient)
    professional = await open_socket(appointment.pk, user=appointment.psychologist)
    frames = []
    for n in range(22):
        frames.append({"type": "chat.message", "message": f"Mensaje {n}"})
        if n == 3:
            frames.append({"type": "chat.message", "message": "   "})
        if n == 5:
            frames.append({"type": "chat.message", "message": 42})
        if n == 7:
            frames.append({"type": "chat.message", "message": "Con id", "client_id": CLIENT_ID})
            frames.append({"type": "chat.message", "message": "Reenvío", "client_id": CLIENT_ID})
    for frame in frames:
        await patient.send_json_to(frame)
    # A frame of another kind is answered after every message sent before it.
    await patient.send_json_to({"type": "history", "limit": 1})

    answers = [await next_frame(patient) for _ in range(len(frames) + 1)]

    kinds = [
        answer["message"] if answer["type"] == "chat.message" else answer.get("code", "history")
        for answer in answers
    ]
    # 20 messages are within the budget: "Mensaje 0".."Mensaje 16", the one with a client id
    # and its resend (a repeat counts too); the empty one is refused by its content, the one
    # that is not text before the budget.
    expected = [f"Mensaje {n}" for n in range(4)] + ["empty_message", "Mensaje 4", "Mensaje 5"]
    expected += ["invalid_frame", "Mensaje 6", "Mensaje 7", "Con id", "Con id"]
    expected += [f"Mensaje {n}" for n in range(8, 17)]
    expected += ["rate_limited"] * 5 + ["history"]
    assert kinds == expected
    stored = [answer for answer in answers if answer["type"] == "chat.message"]
    assert stored[9]["id"] == stored[8]["id"]  # the resend answers the stored message
    assert answers[-1]["messages"][0]["id"] == stored[-1]["id"]
    # The other side gets every stored message once, in order, and nothing else.
    distinct = list(dict.fromkeys(answer["id"] for answer in stored))
    received = [await next_frame(professional) for _ in distinct]
    assert [frame["id"] for frame in received] == distinct
    assert await professional.receive_nothing(timeout=0.3)
    stored_rows = ChatMessage.objects.filter(appointment=appointment)
    count = await database_sync_to_async(stored_rows.count)()
    assert count == len(distinct) == 18


@pytest.mark.django_db(transaction=True)
async def test_the_21st_message_of_a_burst_is_refused(open_socket, appointment, settings):
    settings.PSICO_CHAT = {"RATE_LIMIT_MESSAGES": 20, "RATE_LIMIT_SECONDS": 3600}
    patient = await open_socket(appointment.pk, user=appointment.patient)
    for n in range(21):
        await patient.send_json_to({"message": f"Mensaje {n}"})

    answers = [await next_frame(patient) for _ in range(21)]

    assert [answer["type"] for answer in answers] == ["chat.message"] * 20 + ["error"]
    assert answers[-1]["code"] == "rate_limited"


@pytest.mark.django_db(transaction=True)
async def test_a_batch_is_broadcast_as_one_event_and_delivered_one_by_one(open_socket, appointment):
    layer = get_channel_layer()
    listener = await layer.new_channel()
    await layer.group_add(chat_group_name(appointment.pk), listener)
    professional = await open_socket(appointment.pk, user=appointment.psychologist)
    # Three messages stored together, as a socket stores the frames that queued up.
    outcomes = await database_sync_to_async(message_store_many)(
        appointment=appointment,
        sender=appointment.patient,
        messages=[("Uno", None), ("Dos", None), ("Tres", None)],
    )
    events = [outcome.event for outcome in outcomes]

    assert await chat_broadcast_messages_async(appointment_id=appointment.pk, events=events)

    # One event on the layer for the three, in order.
    announced = await asyncio.wait_for(layer.receive(listener), timeout=5)
    assert announced["type"] == "chat.messages"
    assert [item["id"] for item in announced["events"]] == [event["id"] for event in events]
    # The socket sends each message as its own frame, once, in order.
    received = [await next_frame(professional) for _ in events]
    assert [(frame["type"], frame["message"]) for frame in received] == [
        ("chat.message", "Uno"),
        ("chat.message", "Dos"),
        ("chat.message", "Tres"),
    ]
    assert [frame["id"] for frame in received] == [event["id"] for event in events]
    assert await professional.receive_nothing(timeout=0.3)
    await layer.group_discard(chat_group_name(appointment.pk), listener)


@pytest.mark.django_db(transaction=True)
async def test_a_single_message_is_broadcast_as_its_own_event(open_socket, appointment):
    layer = get_channel_layer()
    listener = await layer.new_channel()
    await layer.group_add(chat_group_name(appointment.pk), listener)
    (outcome,) = await database_sync_to_async(message_store_many)(
        appointment=appointment, sender=appointment.patient, messages=[("Sola", None)]
    )

    assert await chat_broadcast_messages_async(
        appointment_id=appointment.pk, events=[outcome.event]
    )

    announced = await asyncio.wait_for(layer.receive(listener), timeout=5)
    assert announced["type"] == "chat.message"
    assert announced["id"] == outcome.message.pk
    await layer.group_discard(chat_group_name(appointment.pk), listener)
