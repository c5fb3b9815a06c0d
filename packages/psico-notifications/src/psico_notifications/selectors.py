"""Reads of notifications."""

from __future__ import annotations

from .models import NotificationPreference


def notification_preference_of(*, user) -> NotificationPreference:
    """``user``'s preferences; the defaults (every email on), unsaved, when they set none."""
    preference = NotificationPreference.objects.filter(user=user).first()
    return preference if preference is not None else NotificationPreference(user=user)
