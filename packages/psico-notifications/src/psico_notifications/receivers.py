"""Turns appointment events into email tasks: who hears about what, and when they are
reminded."""

from __future__ import annotations

from psico_scheduling.models import AppointmentEvent, AppointmentEventName

from .models import EmailKind
from .reminders import reminders_plan
from .tasks import send_appointment_email

KIND_OF_EVENT = {
    AppointmentEventName.BOOKED: EmailKind.BOOKING_REQUEST,
    AppointmentEventName.CONFIRMED: EmailKind.CONFIRMED,
    AppointmentEventName.CANCELLED: EmailKind.CANCELLED,
    AppointmentEventName.RESCHEDULED: EmailKind.RESCHEDULED,
    AppointmentEventName.WAITLIST_OFFERED: EmailKind.WAITLIST_OFFERED,
}


def recipients_of(event: AppointmentEvent) -> list[int]:
    """Ids of the people an event is emailed to: the professional for a booking (and the
    patient too when someone else, the clinic's front desk, booked for them), the patient
    for a confirmation, the other party for a cancellation or a new time (both when a clinic
    admin made the change), the waiting patient a time held for them. Completed and no-show
    are recorded, not emailed."""
    if event.name == AppointmentEventName.WAITLIST_OFFERED:
        return [event.payload["patient_id"]]
    appointment = event.appointment
    patient, professional = appointment.patient_id, appointment.psychologist_id
    if event.name == AppointmentEventName.BOOKED:
        return [professional] if event.actor_id == patient else [professional, patient]
    if event.name == AppointmentEventName.CONFIRMED:
        return [patient]
    if event.name in (AppointmentEventName.CANCELLED, AppointmentEventName.RESCHEDULED):
        return [person for person in (patient, professional) if person != event.actor_id]
    return []


def on_appointment_event(sender, *, event: AppointmentEvent, **kwargs) -> None:
    """Enqueues one email task per recipient, and the reminders of a booking or a new time.
    This runs inside the relay's transaction: on the database backend the tasks are stored
    together with the event's dispatched mark."""
    kind = KIND_OF_EVENT.get(AppointmentEventName(event.name))
    if kind is not None:
        for recipient_id in recipients_of(event):
            send_appointment_email.enqueue(
                event_id=event.pk, recipient_id=recipient_id, kind=kind.value
            )
    reminders_plan(event=event)


def on_appointment_event_webhooks(sender, *, event: AppointmentEvent, **kwargs) -> None:
    """Records one webhook delivery per active endpoint subscribed to the event and enqueues
    its task, inside the relay's transaction; an event relayed twice enqueues nothing more."""
    from .tasks import send_webhook
    from .webhooks import webhook_deliveries_create

    for delivery in webhook_deliveries_create(event=event):
        send_webhook.enqueue(delivery_id=delivery.pk)
