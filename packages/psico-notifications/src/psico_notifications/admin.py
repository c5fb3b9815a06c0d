"""Django admin: the email deliveries and reminders (what went out, what is retried, what
failed) and the preferences, read only; users change their preferences through the API."""

from __future__ import annotations

from django.contrib import admin
from psico_core.admin import ReadOnlyModelAdmin

from .models import EmailDelivery, NotificationPreference, Reminder

DELIVERY_FIELDS = (
    "event",
    "recipient",
    "kind",
    "status",
    "attempts",
    "last_error",
    "sent_at",
    "created_at",
    "updated_at",
)


@admin.register(EmailDelivery)
class EmailDeliveryAdmin(ReadOnlyModelAdmin):
    list_display = ["kind", "recipient", "status", "attempts", "sent_at", "created_at"]
    list_filter = ["status", "kind"]
    list_select_related = ["recipient"]
    search_fields = ["recipient__email", "recipient__first_name", "recipient__last_name"]
    date_hierarchy = "created_at"
    fields = DELIVERY_FIELDS
    readonly_fields = DELIVERY_FIELDS


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(ReadOnlyModelAdmin):
    list_display = ["user", "email_booking_activity", "email_reminders", "updated_at"]
    list_filter = ["email_booking_activity", "email_reminders"]
    list_select_related = ["user"]
    search_fields = ["user__email", "user__first_name", "user__last_name"]
    fields = ("user", "email_booking_activity", "email_reminders", "updated_at")
    readonly_fields = fields


REMINDER_FIELDS = (
    "appointment",
    "recipient",
    "offset_minutes",
    "planned_start",
    "status",
    "attempts",
    "last_error",
    "sent_at",
    "created_at",
    "updated_at",
)


@admin.register(Reminder)
class ReminderAdmin(ReadOnlyModelAdmin):
    list_display = ["planned_start", "offset_minutes", "recipient", "status", "sent_at"]
    list_filter = ["status", "offset_minutes"]
    list_select_related = ["recipient"]
    search_fields = ["recipient__email", "recipient__first_name", "recipient__last_name"]
    date_hierarchy = "planned_start"
    fields = REMINDER_FIELDS
    readonly_fields = REMINDER_FIELDS
