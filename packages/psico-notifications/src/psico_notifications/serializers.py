"""API shapes of notifications."""

from __future__ import annotations

from psico_core.payloads import InputModelSerializer
from rest_framework import serializers

from .models import NotificationPreference

PREFERENCE_FIELDS = ["email_booking_activity", "email_reminders"]


class NotificationPreferenceSerializer(serializers.ModelSerializer):
    """The signed-in user's email switches. Security emails (password reset) have none."""

    class Meta:
        model = NotificationPreference
        fields = PREFERENCE_FIELDS
        read_only_fields = fields


class NotificationPreferenceUpdateSerializer(InputModelSerializer):
    """Any of the switches, as JSON booleans (``true``/``false``; nothing else is read)."""

    class Meta:
        model = NotificationPreference
        fields = PREFERENCE_FIELDS


class CalendarFeedSerializer(serializers.Serializer):
    """The address of your private calendar feed. Anyone who has it reads your appointments
    (calendar apps cannot sign in): share it only with your calendar app, and rotate it if it
    leaked."""

    url = serializers.URLField(
        read_only=True,
        help_text="Subscribe to it in a calendar app (it may be written `webcal://` too).",
    )
