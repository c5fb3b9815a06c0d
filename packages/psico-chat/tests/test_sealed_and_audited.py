"""Message text sealed at rest (the column holds Fernet tokens, migration 0004 seals existing
messages and unseals them going back), and every history read announced to the audit log."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from django.db import connection
from psico_chat.models import ChatMessage
from psico_chat.testing.factories import ChatMessageFactory
from psico_core.audit import AuditAction, audit_event_sent

SECRET = "Anoche volví a tener la pesadilla del accidente."


def raw_content(pk) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT content FROM psico_chat_chatmessage WHERE id = %s", [pk])
        return cursor.fetchone()[0]


@pytest.fixture
def announced():
    """The audit events announced while the test runs (psico_core.audit's signal)."""
    events = []

    def receive(sender, *, event, **kwargs):
        events.append(event)

    audit_event_sent.connect(receive, dispatch_uid="tests.announced")
    yield events
    audit_event_sent.disconnect(dispatch_uid="tests.announced")


@pytest.mark.django_db
def test_the_message_column_holds_no_plaintext(appointment):
    message = ChatMessageFactory(appointment=appointment, content=SECRET)

    stored = raw_content(message.pk)

    assert stored.startswith("gAAAAA")
    assert "pesadilla" not in stored and "accidente" not in stored
    assert ChatMessage.objects.get(pk=message.pk).content == SECRET


@pytest.mark.django_db
def test_history_and_search_by_id_still_read_the_text(api_client_for, appointment):
    messages = [
        ChatMessageFactory(
            appointment=appointment, sender=appointment.patient, content=f"{SECRET} {n}"
        )
        for n in range(3)
    ]

    page = api_client_for(appointment.psychologist).get(
        f"/api/chat/{appointment.pk}/messages/", {"after": messages[0].pk}
    )

    assert [row["message"] for row in page.data["results"]] == [f"{SECRET} 1", f"{SECRET} 2"]


@pytest.mark.django_db(transaction=True)
def test_migration_0004_seals_existing_messages_and_unseals_them_going_back():
    from django.core.management import call_command
    from psico_scheduling.testing.factories import AppointmentFactory

    appointment = AppointmentFactory()
    call_command("migrate", "psico_chat", "0003", verbosity=0)
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO psico_chat_chatmessage"
                " (appointment_id, sender_id, content, created_at)"
                " VALUES (%s, %s, %s, CURRENT_TIMESTAMP)",
                [appointment.pk, appointment.patient_id, SECRET],
            )
        pk = ChatMessage.objects.values_list("pk", flat=True).get()

        call_command("migrate", "psico_chat", "0004", verbosity=0)
        sealed = raw_content(pk)
        call_command("migrate", "psico_chat", "0004", verbosity=0)  # nothing left to do

        assert sealed.startswith("gAAAAA") and "pesadilla" not in sealed
        assert raw_content(pk) == sealed
        assert ChatMessage.objects.get(pk=pk).content == SECRET

        call_command("migrate", "psico_chat", "0003", verbosity=0)
        assert raw_content(pk) == SECRET
    finally:
        call_command("migrate", "psico_chat", verbosity=0)
    assert ChatMessage.objects.get().content == SECRET


@pytest.mark.django_db
def test_reading_the_history_over_http_is_announced(api_client_for, appointment, announced):
    api_client_for(appointment.patient).get(
        f"/api/chat/{appointment.pk}/messages/", REMOTE_ADDR="198.51.100.4"
    )

    [event] = announced
    assert event.action == AuditAction.CHAT_HISTORY_READ
    assert (event.actor, event.subject) == (appointment.patient, appointment.psychologist)
    assert (event.object_type, event.object_id) == ("appointment", str(appointment.pk))
    assert event.client.ip == "198.51.100.4"


@pytest.mark.django_db
def test_a_refused_history_read_is_not_announced(api_client_for, appointment, announced):
    from psico_accounts.testing.factories import PatientFactory

    response = api_client_for(PatientFactory()).get(f"/api/chat/{appointment.pk}/messages/")

    assert response.status_code == 404
    assert announced == []


@pytest.mark.django_db(transaction=True)
async def test_history_and_resume_frames_are_announced(open_socket, appointment, announced):
    await database_sync_to_async(ChatMessageFactory)(
        appointment=appointment, sender=appointment.patient
    )
    socket = await open_socket(appointment.pk, user=appointment.psychologist)

    await socket.send_json_to({"type": "history"})
    assert (await socket.receive_json_from(timeout=5))["type"] == "history"
    await socket.send_json_to({"type": "resume", "after": 0})
    while (await socket.receive_json_from(timeout=5))["type"] != "resume":
        pass

    assert [event.action for event in announced] == [AuditAction.CHAT_HISTORY_READ] * 2
    assert {event.actor for event in announced} == {appointment.psychologist}
    assert {event.subject for event in announced} == {appointment.patient}


@pytest.mark.django_db
def test_reading_chats_in_the_django_admin_is_announced(client, clinic_admin, announced):
    message = ChatMessageFactory(content=SECRET)
    client.force_login(clinic_admin)

    assert client.get("/admin/psico_chat/chatmessage/").status_code == 200
    assert client.get(f"/admin/psico_chat/chatmessage/{message.pk}/change/").status_code == 200

    listed, read = announced
    assert (listed.action, listed.actor, listed.object_id) == (
        AuditAction.ADMIN_CHAT_READ,
        clinic_admin,
        "",
    )
    assert (read.object_type, read.object_id) == ("chat_message", str(message.pk))
    assert (read.actor, read.subject) == (clinic_admin, message.appointment.patient)


@pytest.mark.django_db
def test_the_admin_no_longer_searches_inside_sealed_text(client, clinic_admin):
    ChatMessageFactory(content=SECRET)
    client.force_login(clinic_admin)

    response = client.get("/admin/psico_chat/chatmessage/", {"q": "pesadilla"})

    assert response.status_code == 200
    assert response.context["cl"].result_count == 0
