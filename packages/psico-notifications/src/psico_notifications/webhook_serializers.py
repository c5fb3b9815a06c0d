"""API shapes of the webhook endpoints and deliveries (clinic administrators)."""

from __future__ import annotations

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from psico_core.payloads import InputSerializer
from psico_scheduling.models import AppointmentEventName
from rest_framework import serializers

from .models import WebhookDelivery, WebhookDeliveryStatus, WebhookEndpoint
from .webhooks import webhook_url_problem

URL_MAX_LENGTH = WebhookEndpoint._meta.get_field("url").max_length
DESCRIPTION_MAX_LENGTH = WebhookEndpoint._meta.get_field("description").max_length


class EventNameField(serializers.ChoiceField):
    """An appointment event name, e.g. ``appointment.booked``."""

    def __init__(self, **kwargs):
        super().__init__(choices=AppointmentEventName.choices, **kwargs)


ENDPOINT_FIELDS = [
    "id",
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
]


class WebhookEndpointSerializer(serializers.ModelSerializer):
    """An endpoint as it is read: never its secret. ``disabled_at`` and ``disabled_reason``
    say when and why it was disabled after failed messages in a row."""

    events = serializers.ListField(child=EventNameField(), read_only=True)

    class Meta:
        model = WebhookEndpoint
        fields = ENDPOINT_FIELDS
        read_only_fields = fields


class WebhookEndpointWithSecretSerializer(WebhookEndpointSerializer):
    """An endpoint with its signing secret: the answer to its creation and to a rotation,
    the only times the secret is shown."""

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*ENDPOINT_FIELDS, "secret"]
        read_only_fields = fields


class WebhookEndpointInputSerializer(InputSerializer):
    """What an administrator writes. Activating an endpoint (``is_active: true``) clears why
    it was disabled and its count of failed messages."""

    url = serializers.URLField(
        max_length=URL_MAX_LENGTH,
        help_text=_(
            "http or https; no user name or password; not a loopback, private or reserved address."
        ),
    )
    events = serializers.ListField(
        child=EventNameField(),
        allow_empty=False,
        max_length=len(AppointmentEventName.choices),
        help_text=_("The events sent to this URL."),
    )
    is_active = serializers.BooleanField(required=False)
    description = serializers.CharField(
        max_length=DESCRIPTION_MAX_LENGTH, required=False, allow_blank=True
    )

    def validate_url(self, value: str) -> str:
        problem = webhook_url_problem(value)
        if problem is not None:
            raise serializers.ValidationError(problem)
        return value


class WebhookDeliverySerializer(serializers.ModelSerializer):
    """One message to one endpoint: ``message_id`` is its ``webhook-id`` header, the same on
    every retry and redelivery; ``payload`` is the body that is signed and sent."""

    # Plain strings in the schema: as enums, drf-spectacular would name them after the fields
    # and rename other apps' enums called "status" (a breaking change for generated clients).
    event_type = serializers.CharField(
        read_only=True, help_text=_("The event's name, one of the endpoint's events.")
    )
    status = serializers.CharField(
        read_only=True,
        help_text=format_lazy(
            _("One of: {statuses}."), statuses=", ".join(WebhookDeliveryStatus.values)
        ),
    )
    payload = serializers.DictField(read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
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
        ]
        read_only_fields = fields
