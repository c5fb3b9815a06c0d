"""Reads: which appointments have a chat, who may use it, and pages of its messages."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from django.utils import timezone
from psico_scheduling.models import Appointment

from .conf import chat_settings
from .models import ChatMessage


class MessagePage(NamedTuple):
    messages: list[ChatMessage]
    has_more: bool


def chat_display_name(user) -> str:
    """The name shown for ``user`` in a chat: the full name, else the username (never the email)."""
    return user.get_full_name() or user.get_username()


def chat_is_open(*, appointment: Appointment, at: dt.datetime | None = None) -> bool:
    """Whether the appointment's chat takes new messages at ``at`` (default: now).

    Open from booking until ``OPEN_DAYS_AFTER_SESSION`` days after the session ends, unless the
    appointment's status is one of ``CLOSED_STATUSES``.
    """
    if appointment.status in chat_settings.CLOSED_STATUSES:
        return False
    days = chat_settings.OPEN_DAYS_AFTER_SESSION
    if days is None:
        return True
    return (at or timezone.now()) <= appointment.end + dt.timedelta(days=days)


def chat_appointment_get(*, appointment_id: int) -> Appointment | None:
    """The appointment with its participants loaded, or None when there is no such appointment."""
    return (
        Appointment.objects.select_related("patient", "psychologist")
        .filter(pk=appointment_id)
        .first()
    )


def chat_messages_page(
    *,
    appointment_id: int,
    after: int | None = None,
    before: int | None = None,
    limit: int | None = None,
) -> MessagePage:
    """One page of an appointment's messages, oldest first, with ids as cursors.

    With ``after``: the oldest messages newer than it (paging forward, catching up).
    Otherwise: the newest messages older than ``before`` (or the newest of all).
    ``has_more`` tells whether more messages lie further in that direction. ``limit`` is
    capped at ``HISTORY_PAGE_SIZE``.
    """
    page_size = chat_settings.HISTORY_PAGE_SIZE
    limit = min(limit or page_size, page_size)
    messages = ChatMessage.objects.filter(appointment_id=appointment_id).select_related("sender")
    if before is not None:
        messages = messages.filter(pk__lt=before)
    if after is not None:
        rows = list(messages.filter(pk__gt=after).order_by("pk")[: limit + 1])
        return MessagePage(rows[:limit], len(rows) > limit)
    rows = list(messages.order_by("-pk")[: limit + 1])
    return MessagePage(rows[:limit][::-1], len(rows) > limit)


def chat_messages_between(
    *, appointment_id: int, after: int, up_to: int | None = None, limit: int
) -> list[ChatMessage]:
    """At most ``limit`` messages with ``after < id <= up_to`` (unbounded if None), in order."""
    messages = ChatMessage.objects.filter(appointment_id=appointment_id, pk__gt=after)
    if up_to is not None:
        messages = messages.filter(pk__lte=up_to)
    return list(messages.select_related("sender").order_by("pk")[:limit])


def chat_latest_message_id(*, appointment_id: int) -> int:
    """The id of the appointment's newest message, or 0 when it has none."""
    latest = (
        ChatMessage.objects.filter(appointment_id=appointment_id)
        .order_by("-pk")
        .values_list("pk", flat=True)
        .first()
    )
    return latest or 0
