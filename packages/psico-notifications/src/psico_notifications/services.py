"""Writes of notifications: preferences, and the email deliveries the tasks record."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from psico_scheduling.models import AppointmentEvent

from . import selectors
from .emails import appointment_email
from .models import DeliveryStatus, EmailDelivery, NotificationPreference

PREFERENCE_FIELDS = frozenset({"email_booking_activity", "email_reminders"})


def notification_preference_update(*, user, **changes: bool) -> NotificationPreference:
    """Change ``user``'s email switches (``email_booking_activity``, ``email_reminders``).
    Password reset and other security emails have no switch: they are always sent."""
    unknown = set(changes) - PREFERENCE_FIELDS
    if unknown:
        # A programming error in a caller, not bad client input.
        raise TypeError(f"Unexpected fields: {', '.join(sorted(unknown))}")
    with transaction.atomic():
        preference, _created = NotificationPreference.objects.select_for_update().get_or_create(
            user=user
        )
        for field, value in changes.items():
            setattr(preference, field, value)
        preference.save()
    return preference


def email_delivery_get_or_create(*, event_id: int, recipient_id: int, kind: str) -> EmailDelivery:
    """The delivery row of one email, created on its first attempt."""
    try:
        delivery, _created = EmailDelivery.objects.get_or_create(
            event_id=event_id, recipient_id=recipient_id, kind=kind
        )
    except IntegrityError:
        # Two workers created it at once: the other one's row is the row.
        delivery = EmailDelivery.objects.get(
            event_id=event_id, recipient_id=recipient_id, kind=kind
        )
    return delivery


def email_delivery_send(*, delivery_id: int) -> str:
    """Send one delivery's email unless it is sent, unwanted or being sent; must run inside
    a transaction, which holds the row lock until the ``sent`` mark commits."""
    from .tasks import ALREADY_SENT, IN_PROGRESS, NOT_WANTED, SENT

    delivery = (
        EmailDelivery.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(pk=delivery_id)
        .first()
    )
    if delivery is None:
        return IN_PROGRESS
    if delivery.status in (DeliveryStatus.SENT, DeliveryStatus.SKIPPED):
        return ALREADY_SENT if delivery.status == DeliveryStatus.SENT else NOT_WANTED
    recipient = get_user_model().objects.get(pk=delivery.recipient_id)
    if not recipient.is_active or not recipient.email:
        return delivery.mark(DeliveryStatus.SKIPPED, NOT_WANTED)
    if not selectors.notification_preference_of(user=recipient).email_booking_activity:
        return delivery.mark(DeliveryStatus.SKIPPED, NOT_WANTED)
    event = AppointmentEvent.objects.select_related(
        "appointment__patient", "appointment__psychologist", "actor"
    ).get(pk=delivery.event_id)
    appointment_email(kind=delivery.kind, event=event, recipient=recipient).send()
    delivery.sent_at = timezone.now()
    delivery.attempts = F("attempts") + 1
    return delivery.mark(DeliveryStatus.SENT, SENT)


def email_delivery_failed(*, delivery_id: int, error: BaseException, final: bool) -> None:
    """Record a failed attempt (and, when no retry follows, that the delivery failed)."""
    EmailDelivery.record_failure(pk=delivery_id, error=error, final=final)
