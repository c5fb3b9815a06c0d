"""Django admin: the email deliveries and reminders (what went out, what is retried, what
failed) and the preferences, read only; users change their preferences through the API."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from psico_core.admin import ReadOnlyModelAdmin

from . import calendar_feed
from .models import CalendarFeed, EmailDelivery, NotificationPreference, Reminder

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


@admin.register(CalendarFeed)
class CalendarFeedAdmin(ReadOnlyModelAdmin):
    """Who has a calendar feed and when it last got a new address. The secrets are not shown
    (an admin has no use for someone's feed); the action revokes a leaked one through the
    service, as the owner's own rotation does."""

    list_display = ["user", "created_at", "rotated_at"]
    list_select_related = ["user"]
    search_fields = ["user__email", "user__first_name", "user__last_name"]
    fields = ("user", "created_at", "rotated_at")
    readonly_fields = fields
    actions = ["rotate_secrets"]

    @admin.action(
        description=_("Give the selected feeds new addresses (the old ones stop working)")
    )
    def rotate_secrets(self, request, queryset) -> None:
        feeds = list(queryset.select_related("user"))
        for feed in feeds:
            calendar_feed.calendar_feed_rotate(user=feed.user)
        self.message_user(
            request,
            ngettext(
                "%(count)d calendar feed has a new address.",
                "%(count)d calendar feeds have a new address.",
                len(feeds),
            )
            % {"count": len(feeds)},
            messages.SUCCESS,
        )
