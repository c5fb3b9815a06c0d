from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
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


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    SKIPPED = "skipped", _("Not wanted")
    FAILED = "failed", _("Failed")


class EmailDelivery(models.Model):
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
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

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


class Reminder(models.Model):
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
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

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
