"""Appointment emails through a real SMTP server: who gets what, in which language, with
which calendar invitation; each once."""

import datetime as dt

import pytest
from django.utils import timezone
from psico_accounts.testing.factories import AdminFactory, PatientFactory, ProfessionalFactory
from psico_notifications import services as notification_services
from psico_notifications.invitations import appointment_uid
from psico_notifications.models import DeliveryStatus, EmailDelivery, EmailKind
from psico_notifications.tasks import ALREADY_SENT, NOT_WANTED, send_appointment_email
from psico_scheduling import services
from psico_scheduling.models import AppointmentEvent
from psico_scheduling.testing.factories import AppointmentFactory, weekly_schedule_for

from .conftest import invitation_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    professional = ProfessionalFactory(
        first_name="Lucía", last_name="Rojas", email="lucia@psico.bo", language="es"
    )
    weekly_schedule_for(professional)
    patient = PatientFactory(
        first_name="Ana", last_name="Quispe", email="ana@psico.bo", language="en"
    )
    return patient, professional


@pytest.fixture
def booked(people, next_monday, book):
    patient, professional = people
    return book(patient, professional, next_monday, "10:00")


def _event(invitation):
    [event] = invitation.walk("VEVENT")
    return event


def test_a_booking_emails_the_professional_with_a_link_in_their_language(
    booked, relay, smtp_server, settings
):
    settings.PSICO_NOTIFICATIONS = {"FRONTEND_URL": "https://app.psico.bo/"}
    relay()

    [message] = smtp_server.messages
    assert message["To"] == "lucia@psico.bo"
    assert message["Subject"].strip().startswith("Psico: Nueva solicitud de cita: Ana Quispe, ")
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    link = f"https://app.psico.bo/appointments/{booked.pk}"
    assert "Ana Quispe reservó una cita con usted" in text
    assert link in text and f'href="{link}"' in html
    assert "(America/La_Paz)" in text
    assert invitation_of(message) is None


def test_confirmation_reschedule_and_cancellation_carry_invitations_of_one_calendar_event(
    booked, people, relay, smtp_server
):
    patient, professional = people
    relay()
    services.appointment_confirm(appointment=booked, by=professional)
    relay()
    services.appointment_update(appointment=booked, by=patient, start_time=dt.time(15))
    relay()
    services.appointment_cancel(appointment=booked, by=professional, reason="Viaje")
    relay()

    booking, confirmation, rescheduled, cancellation = smtp_server.messages
    assert [m["To"] for m in smtp_server.messages] == [
        "lucia@psico.bo",  # the booking, to the professional
        "ana@psico.bo",  # the confirmation, to the patient
        "lucia@psico.bo",  # the patient moved it: the professional hears
        "ana@psico.bo",  # the professional cancelled: the patient hears
    ]
    assert confirmation["Subject"].strip().startswith("Psico: Your appointment of ")
    assert (
        "Lucía Rojas confirmed your appointment" in confirmation.get_body(("plain",)).get_content()
    )
    assert "movió la cita" in rescheduled.get_body(("plain",)).get_content()
    assert (
        "Lucía Rojas cancelled the appointment" in cancellation.get_body(("plain",)).get_content()
    )

    invitations = [invitation_of(m) for m in (confirmation, rescheduled, cancellation)]
    assert [str(i["METHOD"]) for i in invitations] == ["REQUEST", "REQUEST", "CANCEL"]
    events = [_event(i) for i in invitations]
    assert {str(e["UID"]) for e in events} == {appointment_uid(booked.pk)}
    assert [int(e["SEQUENCE"]) for e in events] == [1, 2, 3]
    assert [str(e["STATUS"]) for e in events] == ["CONFIRMED", "TENTATIVE", "CANCELLED"]
    for invitation in invitations:
        [zone] = invitation.walk("VTIMEZONE")
        assert str(zone["TZID"]) == "America/La_Paz"
    confirmed_start = events[0].decoded("DTSTART")
    moved_start = events[1].decoded("DTSTART")
    assert str(confirmed_start.tzinfo) == "America/La_Paz"
    assert (confirmed_start.hour, moved_start.hour) == (10, 15)
    assert moved_start == booked.start
    assert str(events[0]["ORGANIZER"]) == "mailto:lucia@psico.bo"
    assert str(events[0]["ATTENDEE"]) == "mailto:ana@psico.bo"


def test_a_late_cancellation_by_the_patient_tells_the_professional(people, relay, smtp_server):
    patient, professional = people
    start = (timezone.now() + dt.timedelta(hours=3)).replace(microsecond=0)
    appointment = AppointmentFactory(
        patient=patient, psychologist=professional, start=start, end=start + dt.timedelta(hours=1)
    )
    services.appointment_cancel(appointment=appointment, by=patient, reason="Imprevisto")
    relay()

    [message] = smtp_server.messages
    assert message["To"] == "lucia@psico.bo"
    body = message.get_body(("plain",)).get_content()
    assert "Ana Quispe canceló la cita" in body
    assert "menos de la anticipación acordada" in body
    assert str(invitation_of(message)["METHOD"]) == "CANCEL"


def test_a_change_by_the_clinic_is_emailed_to_both_participants(booked, relay, smtp_server):
    relay()
    services.appointment_cancel(appointment=booked, by=AdminFactory(), reason="Cierre")
    relay()

    cancellations = smtp_server.messages[1:]
    assert sorted(m["To"] for m in cancellations) == ["ana@psico.bo", "lucia@psico.bo"]
    assert all(
        "The clinic" in m.get_body(("plain",)).get_content()
        or "La clínica" in m.get_body(("plain",)).get_content()
        for m in cancellations
    )


def test_a_booking_by_the_front_desk_is_emailed_to_the_patient_too(
    people, next_monday, relay, smtp_server
):
    patient, professional = people
    services.appointment_book(
        patient=patient,
        psychologist=professional,
        date=next_monday,
        start_time=dt.time(10),
        by=AdminFactory(),
    )
    relay()

    by_recipient = {m["To"]: m for m in smtp_server.messages}
    assert sorted(by_recipient) == ["ana@psico.bo", "lucia@psico.bo"]
    to_patient = by_recipient["ana@psico.bo"]  # in English, her language
    assert to_patient["Subject"].strip().startswith("Psico: Appointment booked for you: ")
    text = to_patient.get_body(("plain",)).get_content()
    assert "The clinic booked an appointment for you with Lucía Rojas for " in text
    assert "The professional has to confirm it." in text
    to_professional = by_recipient["lucia@psico.bo"].get_body(("plain",)).get_content()
    assert "Ana Quispe reservó una cita con usted" in to_professional


def test_a_patient_booking_alone_is_not_emailed_about_it(booked, relay, smtp_server):
    relay()
    assert [m["To"] for m in smtp_server.messages] == ["lucia@psico.bo"]


def test_completed_and_no_show_send_nothing(people, relay, smtp_server):
    patient, professional = people
    start = (timezone.now() - dt.timedelta(hours=2)).replace(microsecond=0)
    appointment = AppointmentFactory(
        patient=patient, psychologist=professional, start=start, end=start + dt.timedelta(hours=1)
    )
    services.appointment_complete(appointment=appointment, by=professional)

    assert relay() == 1
    assert smtp_server.messages == []
    assert not EmailDelivery.objects.exists()


def test_an_email_is_sent_once_however_often_its_task_runs(booked, relay, smtp_server):
    relay()
    event = AppointmentEvent.objects.get()
    delivery = EmailDelivery.objects.get()
    arguments = {
        "event_id": event.pk,
        "recipient_id": delivery.recipient_id,
        "kind": "booking_request",
    }

    assert send_appointment_email.call(**arguments) == ALREADY_SENT
    AppointmentEvent.objects.update(dispatched_at=None)
    relay()  # the relay sends the event again (a worker died before marking it)

    assert len(smtp_server.messages) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.kind) == (
        DeliveryStatus.SENT,
        1,
        EmailKind.BOOKING_REQUEST,
    )
    assert delivery.sent_at is not None


def test_booking_emails_respect_the_recipients_preference(people, booked, relay, smtp_server):
    _patient, professional = people
    notification_services.notification_preference_update(
        user=professional, email_booking_activity=False
    )
    relay()

    assert smtp_server.messages == []
    delivery = EmailDelivery.objects.get()
    assert delivery.status == DeliveryStatus.SKIPPED
    assert (
        send_appointment_email.call(
            event_id=delivery.event_id, recipient_id=professional.pk, kind=delivery.kind
        )
        == NOT_WANTED
    )


def test_an_unreachable_mail_server_fails_the_delivery_when_no_retry_is_possible(
    booked, relay, smtp_server
):
    # The immediate backend cannot wait: the task fails at once and the delivery says so.
    smtp_server.stop()
    relay()

    delivery = EmailDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 1)
    assert "ConnectionRefusedError" in delivery.last_error
    assert AppointmentEvent.objects.get().dispatched_at is not None
