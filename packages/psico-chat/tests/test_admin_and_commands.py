from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import CommandError, call_command
from psico_chat.models import ChatMessage
from psico_chat.testing.factories import ChatMessageFactory
from psico_scheduling.models import AppointmentStatus
from psico_scheduling.testing.factories import AppointmentFactory

pytestmark = pytest.mark.django_db


# Admin -----------------------------------------------------------------------------------------


def test_the_admin_lists_messages_in_few_queries(
    client, clinic_admin, django_assert_max_num_queries
):
    ChatMessageFactory.create_batch(4)
    client.force_login(clinic_admin)

    with django_assert_max_num_queries(8):
        response = client.get("/admin/psico_chat/chatmessage/")

    assert response.status_code == 200
    assert response.context["cl"].result_count == 4


def test_the_admin_shows_messages_read_only(client, clinic_admin, chat_message):
    client.force_login(clinic_admin)

    detail = client.get(f"/admin/psico_chat/chatmessage/{chat_message.pk}/change/")
    add = client.get("/admin/psico_chat/chatmessage/add/")
    edit = client.post(
        f"/admin/psico_chat/chatmessage/{chat_message.pk}/change/", {"content": "Reescrito"}
    )

    assert detail.status_code == 200
    assert chat_message.content in detail.content.decode()
    assert add.status_code == 403
    assert edit.status_code == 403
    chat_message.refresh_from_db()
    assert chat_message.content != "Reescrito"


# populate_chat ---------------------------------------------------------------------------------


def test_populate_chat_refuses_without_debug(appointment, settings):
    settings.DEBUG = False

    with pytest.raises(CommandError):
        call_command("populate_chat")

    assert not ChatMessage.objects.exists()


def test_populate_chat_fills_open_chats_once(patient, professional, settings):
    settings.DEBUG = True
    open_ones = AppointmentFactory.create_batch(2, patient=patient, psychologist=professional)
    cancelled = AppointmentFactory(
        patient=patient, psychologist=professional, status=AppointmentStatus.CANCELLED
    )

    call_command("populate_chat", stdout=None)
    first_run = ChatMessage.objects.count()
    call_command("populate_chat")

    assert ChatMessage.objects.count() == first_run > 0
    filled = set(ChatMessage.objects.values_list("appointment_id", flat=True))
    assert filled == {a.pk for a in open_ones}
    assert cancelled.pk not in filled
    senders = set(ChatMessage.objects.values_list("sender_id", flat=True))
    assert senders == {patient.pk, professional.pk}


def test_populate_chat_runs_with_force_and_respects_the_count(patient, professional, settings):
    settings.DEBUG = False
    AppointmentFactory.create_batch(3, patient=patient, psychologist=professional)

    call_command("populate_chat", "--force", "--appointments", "1")

    assert ChatMessage.objects.values("appointment").distinct().count() == 1


def test_populate_chat_fills_the_oldest_patient_and_professionals_chats_first(
    patient, professional, settings
):
    from psico_accounts.testing.factories import PatientFactory, ProfessionalFactory

    settings.DEBUG = True
    # Others' appointment comes first in time; the demo pair's (the oldest accounts) later.
    others = AppointmentFactory(patient=PatientFactory(), psychologist=ProfessionalFactory())
    later = others.start + dt.timedelta(days=1)
    demo_pair = AppointmentFactory(
        patient=patient, psychologist=professional, start=later, end=later + dt.timedelta(hours=1)
    )

    call_command("populate_chat", "--appointments", "1")

    filled = set(ChatMessage.objects.values_list("appointment_id", flat=True))
    assert filled == {demo_pair.pk}
