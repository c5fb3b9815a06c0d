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
