"""The patient's rights across the apps: the export holds the profile, the appointments and the
chat messages (each app adds its part); the erasure anonymises the account, replaces the chat
text and keeps the appointments for the professional's records."""

import datetime as dt
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import mail
from django.utils import timezone
from psico_core.tasks_compat import IMMEDIATE_BACKEND

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def immediate_tasks(settings):
    # The worker's part runs inside the request here; e2e and the accounts suite run a worker.
    settings.TASKS = {"default": {"BACKEND": IMMEDIATE_BACKEND}}


@pytest.fixture
def history():
    from psico_accounts.testing.factories import PatientFactory, ProfessionalFactory
    from psico_chat.testing.factories import ChatMessageFactory
    from psico_scheduling.testing.factories import AppointmentFactory

    patient = PatientFactory(first_name="Rosa", last_name="Choque")
    professional = ProfessionalFactory(first_name="Lucía", last_name="Rojas")
    start = timezone.now().replace(microsecond=0) + dt.timedelta(days=3)
    appointment = AppointmentFactory(
        patient=patient,
        psychologist=professional,
        start=start,
        end=start + dt.timedelta(hours=1),
        reason="Ansiedad",
    )
    mine = ChatMessageFactory(appointment=appointment, sender=patient, content="Hola, soy Rosa")
    theirs = ChatMessageFactory(
        appointment=appointment, sender=professional, content="Bienvenida, Rosa"
    )
    return {
        "patient": patient,
        "professional": professional,
        "appointment": appointment,
        "mine": mine,
        "theirs": theirs,
    }


def test_the_export_holds_profile_appointments_and_chat_messages(api_client_for, history):
    patient = history["patient"]
    assert api_client_for(patient).post("/api/users/me/export/").status_code == 202
    link = re.search(r"(http\S+signature=\S+)", mail.outbox[-1].body).group(1)
    signature = parse_qs(urlsplit(link).query)["signature"][0]

    data = (
        api_client_for(None).get("/api/users/me/export/download/", {"signature": signature}).json()
    )

    assert data["user"]["id"] == patient.pk
    [appointment] = data["appointments"]
    assert appointment["id"] == history["appointment"].pk
    assert appointment["reason"] == "Ansiedad"
    assert appointment["professional"] == "Lucía Rojas"
    # Their own messages only.
    assert [message["message"] for message in data["chat_messages"]] == ["Hola, soy Rosa"]


def test_erasure_replaces_the_chat_text_and_keeps_the_appointment(api_client_for, history):
    from psico_accounts.testing.factories import TEST_PASSWORD
    from psico_chat.models import ChatMessage
    from psico_scheduling.models import Appointment

    patient = history["patient"]
    response = api_client_for(patient).delete(
        "/api/users/me/", {"password": TEST_PASSWORD}, format="json"
    )

    assert response.status_code == 204
    appointment = Appointment.objects.select_related("patient").get(pk=history["appointment"].pk)
    assert appointment.patient.get_full_name() == "Usuario eliminado"
    assert appointment.reason == "Ansiedad"
    assert ChatMessage.objects.get(pk=history["mine"].pk).content == "[mensaje eliminado]"
    # The professional's own messages stay.
    assert ChatMessage.objects.get(pk=history["theirs"].pk).content == "Bienvenida, Rosa"
    listed = api_client_for(history["professional"]).get(
        f"/api/appointments/appointments/{appointment.pk}/"
    )
    assert listed.status_code == 200
    assert "Rosa" not in str(listed.content.decode())
