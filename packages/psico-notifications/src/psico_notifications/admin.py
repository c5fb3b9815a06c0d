"""Django admin: the email deliveries and reminders (what went out, what is retried, what
failed) and the preferences, read only; users change their preferences through the API."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from psico_core.admin import ReadOnlyModelAdmin

from . import calendar_feed, webhooks
from .models import (
    CalendarFeed,
    EmailDelivery,
    NotificationPreference,
    Reminder,
    WebhookDelivery,
    WebhookEndpoint,
)

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

WEBHOOK_ENDPOINT_FIELDS = (
    "url",
    "events",
    "is_active",
    "description",
    "consecutive_failures",
    "disabled_at",
    "disabled_reason",
    "created_by",
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


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ReadOnlyModelAdmin):
    """Endpoints are created and changed through the API (``/api/webhooks/endpoints/``), which
    checks the URL and shows the secret once; the admin shows them, never the secret, and
    activates or deactivates them through the same service."""

    list_display = ["url", "is_active", "consecutive_failures", "disabled_at", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["url", "description"]
    fields = WEBHOOK_ENDPOINT_FIELDS
    readonly_fields = WEBHOOK_ENDPOINT_FIELDS
    actions = ["activate", "deactivate"]

    @admin.action(description=_("Activate (clears the count of failed messages)"))
    def activate(self, request, queryset):
        for endpoint in queryset:
            webhooks.webhook_endpoint_update(endpoint=endpoint, is_active=True)

    @admin.action(description=_("Deactivate"))
    def deactivate(self, request, queryset):
        for endpoint in queryset:
            webhooks.webhook_endpoint_update(endpoint=endpoint, is_active=False)


WEBHOOK_DELIVERY_FIELDS = (
    "endpoint",
    "event",
    "event_type",
    "message_id",
    "status",
    "attempts",
    "response_status_code",
    "response_excerpt",
    "error",
    "next_attempt_at",
    "delivered_at",
    "created_at",
    "updated_at",
    "payload",
)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyModelAdmin):
    list_display = [
        "event_type",
        "endpoint",
        "status",
        "attempts",
        "response_status_code",
        "created_at",
    ]
    list_filter = ["status", "event_type"]
    list_select_related = ["endpoint"]
    search_fields = ["message_id", "endpoint__url"]
    date_hierarchy = "created_at"
    fields = WEBHOOK_DELIVERY_FIELDS
    readonly_fields = WEBHOOK_DELIVERY_FIELDS
    actions = ["redeliver"]

    @admin.action(description=_("Send again (same message id)"))
    def redeliver(self, request, queryset):
        sent = 0
        for delivery in queryset:
            try:
                webhooks.webhook_delivery_redeliver(delivery=delivery)
            except ValidationError as refusal:
                self.message_user(
                    request, f"{delivery.message_id}: {' '.join(refusal.messages)}", messages.ERROR
                )
            else:
                sent += 1
        if sent:
            self.message_user(
                request,
                ngettext(
                    "%(count)d message will be sent again.",
                    "%(count)d messages will be sent again.",
                    sent,
                )
                % {"count": sent},
            )
