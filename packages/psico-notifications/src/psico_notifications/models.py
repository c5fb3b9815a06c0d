from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from psico_scheduling.models import Appointment, AppointmentEvent


class NotificationPreference(models.Model):
    """What a user wants to be emailed about. A user without a row gets every email.

    Security emails (password reset) are always sent and have no switch here.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_preference",
        verbose_name=_("user"),
    )
    email_booking_activity = models.BooleanField(
        _("email about bookings"),
        default=True,
        help_text=_("New bookings, confirmations, cancellations and changes of time."),
    )
    email_reminders = models.BooleanField(
        _("email reminders"),
        default=True,
        help_text=_("Reminders before each appointment."),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self) -> str:
        return str(self.user)


class EmailKind(models.TextChoices):
    BOOKING_REQUEST = "booking_request", _("New booking (to the professional)")
    CONFIRMED = "confirmed", _("Confirmation (to the patient)")
    CANCELLED = "cancelled", _("Cancellation")
    RESCHEDULED = "rescheduled", _("New time")
    WAITLIST_OFFERED = "waitlist_offered", _("Time held from the waiting list (to the patient)")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    SKIPPED = "skipped", _("Not wanted")
    FAILED = "failed", _("Failed")


# The status values every email record shares (its own choices name the others).
SENT_STATUS = "sent"
FAILED_STATUS = "failed"
ERROR_MAX_LENGTH = 2000


class EmailRecord(models.Model):
    """What an email task keeps of its email: attempts, the last error, when it went out.

    A subclass adds ``status`` (with "sent" and "failed" among its choices) and the key that
    makes its task send the email once.
    """

    status: models.CharField
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True

    def mark(self, status: str, outcome: str) -> str:
        """Save ``status`` (with ``sent_at`` and ``attempts`` as set) and clear the last error;
        returns ``outcome``, the task's result."""
        self.status = status
        self.last_error = ""
        fields = ["status", "sent_at", "attempts", "last_error", "updated_at"]
        self.save(update_fields=fields)  # status is the subclass's field
        return outcome

    @classmethod
    def record_failure(cls, *, pk: int, error: BaseException, final: bool) -> None:
        """Count a failed attempt with its error or, when no retry follows, mark the record
        failed; a record sent meanwhile is left alone."""
        changes: dict[str, Any] = {
            "attempts": F("attempts") + 1,
            "last_error": repr(error)[:ERROR_MAX_LENGTH],
        }
        if final:
            changes = {"status": FAILED_STATUS}
        cls.objects.filter(pk=pk).exclude(status=SENT_STATUS).update(  # type: ignore[attr-defined]
            **changes, updated_at=timezone.now()
        )


class EmailDelivery(EmailRecord):
    """One email about one appointment event to one person: the task's record of itself.

    The unique key (event, recipient, kind) and the row lock the sending task holds make a
    retry, a relayed event sent twice or a second worker send nothing more once it is sent.
    """

    event = models.ForeignKey(
        AppointmentEvent,
        on_delete=models.CASCADE,
        related_name="email_deliveries",
        verbose_name=_("event"),
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="email_deliveries",
        verbose_name=_("recipient"),
    )
    kind = models.CharField(_("kind"), max_length=32, choices=EmailKind.choices)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=DeliveryStatus.choices,
        default=DeliveryStatus.PENDING,
        db_index=True,
    )

    class Meta:
        ordering = ["-id"]
        verbose_name = _("email delivery")
        verbose_name_plural = _("email deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["event", "recipient", "kind"],
                name="psico_notifications_one_email_per_event_recipient_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.recipient} ({self.get_status_display()})"


class ReminderStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    SKIPPED = "skipped", _("Not wanted")
    OBSOLETE = "obsolete", _("No longer due")
    FAILED = "failed", _("Failed")


class Reminder(EmailRecord):
    """One reminder of one appointment to one participant, ``offset_minutes`` before the start
    it was planned for: the reminder task's record of itself.

    The unique key (appointment, recipient, offset, planned start) and the row lock the sending
    task holds make a second worker, a retry or an event relayed twice send nothing more. A
    reminder whose appointment was cancelled, closed or moved by the time it runs is
    ``obsolete``; the new time has reminders of its own (another ``planned_start``).
    """

    appointment = models.ForeignKey(
        Appointment,
        on_delete=models.CASCADE,
        related_name="reminders",
        verbose_name=_("appointment"),
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="appointment_reminders",
        verbose_name=_("recipient"),
    )
    offset_minutes = models.PositiveIntegerField(_("minutes before the start"))
    planned_start = models.DateTimeField(_("planned start"))
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=ReminderStatus.choices,
        default=ReminderStatus.PENDING,
        db_index=True,
    )

    class Meta:
        ordering = ["-id"]
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        constraints = [
            models.UniqueConstraint(
                fields=["appointment", "recipient", "offset_minutes", "planned_start"],
                name="psico_notifications_one_reminder_per_start_recipient_offset",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.offset_minutes} min → {self.recipient} ({self.get_status_display()})"


# 256 random bits: guessing one is hopeless, however many requests are made.
CALENDAR_FEED_SECRET_BYTES = 32


def new_calendar_feed_secret() -> str:
    """A fresh feed secret: 32 random bytes, URL-safe base64 (43 characters)."""
    return secrets.token_urlsafe(CALENDAR_FEED_SECRET_BYTES)


class CalendarFeed(models.Model):
    """A user's private calendar feed: whoever holds the secret reads the feed, without
    signing in (calendar apps cannot), so the secret is the only key to it.

    The secret is stored as it is, not hashed. A hash would keep the URL from anyone who reads
    the database, but the feed only shows appointments that such a reader already sees in the
    same database, so it would protect nothing; and ``GET /api/calendar/feed/`` must show the
    URL again (to a second device, a second calendar app), which a hash cannot give back
    without rotating, and rotating breaks every calendar already subscribed. A leaked URL is
    revoked by rotating it (:func:`psico_notifications.calendar_feed.calendar_feed_rotate`).
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="calendar_feed",
        verbose_name=_("user"),
    )
    secret = models.CharField(
        _("secret"), max_length=64, unique=True, default=new_calendar_feed_secret
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    rotated_at = models.DateTimeField(_("rotated at"), null=True, blank=True)

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")

    def __str__(self) -> str:
        return str(self.user)


class WebhookEndpoint(models.Model):
    """A clinic integration's URL that receives the appointment events it subscribed to,
    signed per the Standard Webhooks spec with its own secret.

    The secret is kept as written (``whsec_<base64>``): every delivery is signed with it, so it
    cannot be hashed like a password. The API shows it once, when it is created or rotated.
    """

    url = models.URLField(_("URL"), max_length=500)
    events = models.JSONField(
        _("events"),
        default=list,
        help_text=_("The appointment events sent to this URL, e.g. appointment.booked."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    description = models.CharField(_("description"), max_length=200, blank=True)
    secret = models.CharField(_("signing secret"), max_length=100)
    consecutive_failures = models.PositiveIntegerField(
        _("consecutive failed messages"),
        default=0,
        help_text=_("Messages in a row that failed after every retry; a success resets it."),
    )
    disabled_at = models.DateTimeField(_("disabled at"), null=True, blank=True)
    disabled_reason = models.CharField(_("why it was disabled"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")

    def __str__(self) -> str:
        return self.url


class WebhookDeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Not sent (endpoint inactive)")


class WebhookDelivery(models.Model):
    """One message (one appointment event) to one endpoint, with its attempts.

    ``message_id`` is the ``webhook-id`` header: the same on every retry and redelivery of the
    message, so that a receiver can drop duplicates. The payload is written once, when the
    event is relayed, so that every attempt sends the same body.
    """

    endpoint = models.ForeignKey(
        WebhookEndpoint,
        on_delete=models.CASCADE,
        related_name="deliveries",
        verbose_name=_("endpoint"),
    )
    event = models.ForeignKey(
        AppointmentEvent,
        on_delete=models.CASCADE,
        related_name="webhook_deliveries",
        verbose_name=_("event"),
    )
    event_type = models.CharField(_("event type"), max_length=64)
    message_id = models.CharField(_("message id"), max_length=64, unique=True)
    payload = models.JSONField(_("payload"), default=dict)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=WebhookDeliveryStatus.choices,
        default=WebhookDeliveryStatus.PENDING,
        db_index=True,
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    response_status_code = models.PositiveSmallIntegerField(
        _("response status code"), null=True, blank=True
    )
    response_excerpt = models.CharField(_("start of the response"), max_length=500, blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["endpoint", "event"],
                name="psico_notifications_one_webhook_per_endpoint_event",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} → {self.endpoint_id} ({self.get_status_display()})"
