"""The waiting list's offer: an email to the patient a freed time is held for, and a
``waitlist.offered`` webhook that names people by id only."""

import datetime as dt

import pytest
from psico_accounts.testing.factories import AdminFactory, PatientFactory
from psico_notifications import services as notification_services
from psico_notifications import webhooks
from psico_notifications.models import DeliveryStatus, EmailDelivery, EmailKind, WebhookDelivery
from psico_scheduling import services
from psico_scheduling.models import AppointmentEventName, WaitlistOffer

from .test_emails import people  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db

OFFERED = AppointmentEventName.WAITLIST_OFFERED.value


@pytest.fixture
def waiting(people, next_monday, book):  # noqa: F811
    """Ana had Monday 10:00; Marta (Spanish) waits for that day. Returns (appointment, Marta)."""
    patient, professional = people
    appointment = book(patient, professional, next_monday, "10:00")
    marta = PatientFactory(first_name="Marta", email="marta@psico.bo", language="es")
    services.waitlist_entry_create(
        patient=marta, psychologist=professional, date_from=next_monday, date_to=next_monday
    )
    return appointment, marta


def _cancel(appointment):
    services.appointment_cancel(appointment=appointment, by=appointment.patient, reason="Viaje")


def test_the_waiting_patient_is_emailed_the_held_time_in_their_language(
    waiting, relay, smtp_server, settings
):
    settings.PSICO_NOTIFICATIONS = {"FRONTEND_URL": "https://app.psico.bo/"}
    appointment, marta = waiting
    _cancel(appointment)
    relay()

    [offer_email] = [m for m in smtp_server.messages if m["To"] == "marta@psico.bo"]
    assert offer_email["Subject"].strip().startswith("Psico: Hay un horario reservado para usted:")
    text = offer_email.get_body(("plain",)).get_content()
    assert "Lucía Rojas" in text and "10:00 (America/La_Paz)" in text
    offer = WaitlistOffer.objects.get()
    local_until = offer.expires_at.astimezone(dt.timezone(dt.timedelta(hours=-4)))
    assert f"{local_until:%H:%M} (America/La_Paz). Resérvelo antes" in text
    # The link is the front end's, never the freed appointment's (someone else's).
    assert "https://app.psico.bo/" in text and f"/appointments/{appointment.pk}" not in text
    delivery = EmailDelivery.objects.get(recipient=marta)
    assert (delivery.kind, delivery.status) == (EmailKind.WAITLIST_OFFERED, DeliveryStatus.SENT)


def test_the_offer_email_respects_the_preference(waiting, relay, smtp_server):
    appointment, marta = waiting
    notification_services.notification_preference_update(user=marta, email_booking_activity=False)
    _cancel(appointment)
    relay()

    assert not [m for m in smtp_server.messages if m["To"] == "marta@psico.bo"]
    assert EmailDelivery.objects.get(recipient=marta).status == DeliveryStatus.SKIPPED


def test_an_unreachable_mail_server_fails_the_offer_email_like_the_others(
    waiting, relay, smtp_server
):
    appointment, marta = waiting
    smtp_server.stop()
    _cancel(appointment)
    relay()

    delivery = EmailDelivery.objects.get(recipient=marta)
    assert delivery.status == DeliveryStatus.FAILED
    assert "ConnectionRefusedError" in delivery.last_error
    # The hold stands: the email's failure rolls nothing back.
    assert WaitlistOffer.objects.get().entry.patient == marta


@pytest.mark.usefixtures("database_tasks")
def test_a_webhook_hears_of_the_offer_with_ids_only(waiting, relay):
    appointment, marta = waiting
    endpoint = webhooks.webhook_endpoint_create(
        url="https://hooks.example.com/", events=[OFFERED], created_by=AdminFactory()
    )
    _cancel(appointment)
    relay()

    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    offer = WaitlistOffer.objects.get()
    assert delivery.event_type == OFFERED
    assert delivery.payload["type"] == OFFERED
    assert delivery.payload["data"] == {
        "offer_id": offer.pk,
        "waitlist_entry_id": offer.entry_id,
        "patient_id": marta.pk,
        "psychologist_id": appointment.psychologist_id,
        "start": appointment.start.astimezone(dt.UTC).isoformat(),
        "end": appointment.end.astimezone(dt.UTC).isoformat(),
        "expires_at": offer.expires_at.astimezone(dt.UTC).isoformat(),
        "freed_by_appointment_id": appointment.pk,
    }


@pytest.mark.usefixtures("database_tasks")
def test_the_expiry_is_deferred_to_the_end_of_the_hold(waiting, relay):
    from django_tasks_db.models import DBTaskResult

    appointment, _marta = waiting
    _cancel(appointment)
    relay()

    offer = WaitlistOffer.objects.get()
    [expiry] = DBTaskResult.objects.filter(task_path__endswith="expire_waitlist_offer")
    assert expiry.run_after == offer.expires_at
    assert expiry.args_kwargs["kwargs"] == {"offer_id": offer.pk}
