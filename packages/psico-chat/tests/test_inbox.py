"""REST: GET /api/chat/conversations/, the inbox."""

from __future__ import annotations

import datetime as dt

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone
from psico_accounts.testing.factories import AdminFactory, PatientFactory, ProfessionalFactory
from psico_chat.services import message_mark_read
from psico_chat.testing.factories import ChatMessageFactory
from psico_scheduling.serializers import AppointmentSerializer
from psico_scheduling.testing.factories import AppointmentFactory

pytestmark = pytest.mark.django_db

URL = "/api/chat/conversations/"
PAGE_SIZE = 20  # REST_FRAMEWORK["PAGE_SIZE"] of the test settings


def inbox(client, **query) -> dict:
    response = client.get(URL, query)
    assert response.status_code == 200, response.content
    return response.json()


def write(appointment, sender, count: int = 1) -> list[int]:
    return [ChatMessageFactory(appointment=appointment, sender=sender).pk for _ in range(count)]


# Who gets what -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "language, detail",
    [
        ("en", "Authentication credentials were not provided."),
        ("es", "Las credenciales de autenticación no se proveyeron."),
    ],
)
def test_anonymous_gets_401_in_the_client_language(api_client_for, chat_message, language, detail):
    response = api_client_for(None, language=language).get(URL)

    assert response.status_code == 401
    assert response.json() == {"detail": detail}


def test_each_participant_sees_the_other_one(api_client_for, appointment):
    patient, professional = appointment.patient, appointment.psychologist
    write(appointment, patient)

    as_patient = inbox(api_client_for(patient))["results"]
    as_professional = inbox(api_client_for(professional))["results"]

    assert as_patient[0]["other_participant"] == {
        "id": professional.pk,
        "name": professional.get_full_name(),
        "profile_picture": None,
    }
    assert as_professional[0]["other_participant"] == {
        "id": patient.pk,
        "name": patient.get_full_name(),
        "profile_picture": None,
    }


def test_a_conversation_shows_the_appointment_as_the_appointment_list_does(
    api_client_for, appointment
):
    first, last = write(appointment, appointment.patient) + write(
        appointment, appointment.psychologist
    )
    client = api_client_for(appointment.patient)

    body = inbox(client)
    listed = AppointmentSerializer(appointment).data  # what the appointment list answers
    messages = client.get(f"/api/chat/{appointment.pk}/messages/").json()["results"]

    assert body["count"] == 1
    (conversation,) = body["results"]
    assert set(conversation) == {
        "appointment",
        "other_participant",
        "last_message",
        "unread",
        "is_open",
    }
    fields = ["id", "appointment_date", "start_time", "end_time", "start", "end", "time_zone"]
    assert conversation["appointment"] == {
        **{name: listed[name] for name in fields},
        "status": "pending",
    }
    assert conversation["last_message"] == messages[-1]
    assert conversation["last_message"]["id"] == last != first
    assert conversation["last_message"]["sender"]["id"] == appointment.psychologist.pk
    assert conversation["unread"] == 1
    assert conversation["is_open"] is True


def test_appointments_without_messages_are_not_conversations(api_client_for, appointment):
    AppointmentFactory(patient=appointment.patient)

    assert inbox(api_client_for(appointment.patient)) == {
        "count": 0,
        "next": None,
        "previous": None,
        "results": [],
    }


@pytest.mark.parametrize("who", ["other_patient", "other_professional", "admin"])
def test_someone_elses_chats_never_appear(api_client_for, appointment, who):
    write(appointment, appointment.patient, 2)
    write(appointment, appointment.psychologist)
    outsider = {
        "other_patient": PatientFactory,
        "other_professional": ProfessionalFactory,
        "admin": AdminFactory,
    }[who]()
    # The outsider's own conversation, with one of the same people.
    if who == "other_professional":
        own = AppointmentFactory(patient=appointment.patient, psychologist=outsider)
    elif who == "other_patient":
        own = AppointmentFactory(patient=outsider, psychologist=appointment.psychologist)
    else:
        own = None
    if own is not None:
        write(own, outsider)

    body = inbox(api_client_for(outsider))

    assert [row["appointment"]["id"] for row in body["results"]] == (
        [own.pk] if own is not None else []
    )
    assert body["count"] == (1 if own is not None else 0)


def test_closed_chats_stay_in_the_inbox_as_not_open(api_client_for, patient):
    cancelled = AppointmentFactory(patient=patient, cancelled=True)
    long_ago = timezone.now() - dt.timedelta(days=30)
    finished = AppointmentFactory(
        patient=patient, start=long_ago, end=long_ago + dt.timedelta(hours=1), past=True
    )
    write(cancelled, patient)
    write(finished, patient)

    rows = inbox(api_client_for(patient))["results"]

    assert {row["appointment"]["id"]: row["is_open"] for row in rows} == {
        cancelled.pk: False,
        finished.pk: False,
    }
    assert {row["appointment"]["status"] for row in rows} == {"cancelled", "completed"}


# Order and unread counts ---------------------------------------------------------------------


def test_newest_conversation_first_and_a_new_message_moves_one_to_the_top(api_client_for, patient):
    first, second, third = (AppointmentFactory(patient=patient) for _ in range(3))
    write(first, patient)
    write(second, second.psychologist)
    write(third, patient)
    client = api_client_for(patient)

    assert [row["appointment"]["id"] for row in inbox(client)["results"]] == [
        third.pk,
        second.pk,
        first.pk,
    ]

    write(first, first.psychologist)

    assert [row["appointment"]["id"] for row in inbox(client)["results"]] == [
        first.pk,
        third.pk,
        second.pk,
    ]


def test_unread_counts_only_the_other_ones_messages_and_falls_when_read(api_client_for, patient):
    appointment = AppointmentFactory(patient=patient)
    professional = appointment.psychologist
    write(appointment, patient, 2)
    from_professional = write(appointment, professional, 3)
    other = AppointmentFactory(patient=patient)
    write(other, other.psychologist, 4)
    patient_client = api_client_for(patient)
    professional_client = api_client_for(professional)

    def unread(client) -> dict[int, int]:
        return {row["appointment"]["id"]: row["unread"] for row in inbox(client)["results"]}

    assert unread(patient_client) == {appointment.pk: 3, other.pk: 4}
    assert unread(professional_client) == {appointment.pk: 2}

    message_mark_read(appointment=appointment, reader=patient, up_to_id=from_professional[1])

    assert unread(patient_client) == {appointment.pk: 1, other.pk: 4}
    assert unread(professional_client) == {appointment.pk: 2}

    message_mark_read(appointment=appointment, reader=patient, up_to_id=from_professional[2])
    message_mark_read(appointment=appointment, reader=professional, up_to_id=from_professional[2])

    assert unread(patient_client) == {appointment.pk: 0, other.pk: 4}
    assert unread(professional_client) == {appointment.pk: 0}


@pytest.mark.django_db(transaction=True)
async def test_a_read_frame_on_the_socket_clears_the_unread_count(
    open_socket, appointment, api_client_for
):
    ids = await sync_to_async(write)(appointment, appointment.psychologist, 2)
    client = await sync_to_async(api_client_for)(appointment.patient)
    before = await sync_to_async(inbox)(client)
    socket = await open_socket(appointment.pk, user=appointment.patient)

    await socket.send_json_to({"type": "read", "message_id": ids[-1]})
    receipt = await socket.receive_json_from(timeout=5)
    after = await sync_to_async(inbox)(client)

    assert receipt["type"] == "read"
    assert before["results"][0]["unread"] == 2
    assert after["results"][0]["unread"] == 0


# Pages and queries ---------------------------------------------------------------------------


@pytest.fixture
def conversations_of(db):
    def make(patient, count: int) -> list:
        appointments = [AppointmentFactory(patient=patient) for _ in range(count)]
        for appointment in appointments:
            write(appointment, appointment.psychologist)
            write(appointment, patient)
        return appointments

    return make


def test_pages_of_the_inbox(api_client_for, patient, conversations_of):
    appointments = conversations_of(patient, PAGE_SIZE + 5)
    newest_first = [appointment.pk for appointment in reversed(appointments)]
    client = api_client_for(patient)

    first = inbox(client)
    second = inbox(client, page=2)

    assert first["count"] == second["count"] == PAGE_SIZE + 5
    assert first["next"].endswith(f"{URL}?page=2")
    assert first["previous"] is None
    assert second["next"] is None
    assert [row["appointment"]["id"] for row in first["results"] + second["results"]] == (
        newest_first
    )


@pytest.mark.parametrize("conversations", [1, PAGE_SIZE + 5])
def test_a_page_costs_the_same_queries_however_many_conversations(
    api_client_for, patient, conversations_of, django_assert_num_queries, conversations
):
    conversations_of(patient, conversations)
    # Another professional without a profile: the time zone falls back without a query.
    bare = AppointmentFactory(patient=patient, psychologist=ProfessionalFactory())
    bare.psychologist.professional_profile.delete()
    write(bare, patient)
    client = api_client_for(patient)

    # The token (with its user), the count, the page with people and counts, the last messages.
    with django_assert_num_queries(4):
        body = inbox(client)

    assert len(body["results"]) == min(conversations + 1, PAGE_SIZE)


@pytest.mark.parametrize(
    "page",
    [
        "",
        "x",
        "0",
        "-1",
        "1.5",
        "٣",  # ARABIC-INDIC DIGIT THREE: int() reads it, the API does not
        "１",  # FULLWIDTH DIGIT ONE
        "last",
        "1\x00",
        "9" * 19,
        "9" * 20_000,
        "999999999999999999",
    ],
)
def test_a_page_that_is_not_a_page_number_of_the_inbox_gets_404(api_client_for, chat_message, page):
    response = api_client_for(chat_message.sender, language="en").get(URL, {"page": page})

    assert response.status_code == 404
    assert response.json() == {"detail": "Invalid page."}


def test_the_page_is_read_once(api_client_for, chat_message):
    response = api_client_for(chat_message.sender).get(f"{URL}?page=1&page=1")

    assert response.status_code == 404


def test_an_unknown_page_is_answered_in_spanish_by_default(api_client_for, chat_message):
    response = api_client_for(chat_message.sender).get(URL, {"page": 2})

    assert response.status_code == 404
    assert response.json() == {"detail": "Página inválida."}


@pytest.mark.parametrize(
    "query",
    [
        {"page[number]": "1"},
        {"filter[appointment][id]": "1"},
        {"x" * 20_000: "y" * 20_000},
        {"ordering": "-" * 20_000},
        {"unread": "٣"},
    ],
)
def test_parameters_the_inbox_does_not_take_are_ignored(api_client_for, chat_message, query):
    body = inbox(api_client_for(chat_message.sender), **query)

    assert [row["last_message"]["id"] for row in body["results"]] == [chat_message.pk]
