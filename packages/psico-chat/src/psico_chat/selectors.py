"""Reads: which appointments have a chat, who may use it, pages of its messages, the inbox."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from django.db.models import Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from psico_core.precompiled import PrecompiledQuery
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


def chat_other_participant(*, appointment: Appointment, user):
    """The participant of the appointment's chat who is not ``user``."""
    if appointment.patient_id == getattr(user, "pk", None):
        return appointment.psychologist
    return appointment.patient


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


# Read for every message stored (its predecessor), so compiled to SQL once per process.
_NEWEST_MESSAGE = PrecompiledQuery(
    lambda appointment_id: (
        ChatMessage.objects.filter(appointment_id=appointment_id).order_by("-pk").only("pk")[:1]
    ),
    1,
)


def chat_latest_message_id(*, appointment_id: int) -> int:
    """The id of the appointment's newest message, or 0 when it has none."""
    newest = _NEWEST_MESSAGE(appointment_id)
    return newest[0].pk if newest else 0


def chat_conversations(*, user) -> QuerySet[Appointment]:
    """The inbox of ``user``: the appointments they take part in whose chat has a message.

    Newest conversation first (by its last message's id: ids grow with time, and a tie is
    impossible since each message belongs to one appointment). Each appointment carries
    ``last_message_id`` and ``unread`` (messages the other participant sent that ``user`` has
    not read), computed by subqueries, and its people joined in: one query however many rows,
    so a page costs the same for 1 conversation as for 25. Read the last messages themselves
    with :func:`chat_conversations_with_last_message`. Clinic admins take part in no chat:
    theirs is empty.
    """
    if getattr(user, "pk", None) is None:
        return Appointment.objects.none()
    messages = ChatMessage.objects.filter(appointment=OuterRef("pk")).order_by()
    unread = (
        messages.filter(read_at__isnull=True)
        .exclude(sender=user)
        .values("appointment")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return (
        Appointment.objects.with_participant(user)
        .annotate(
            last_message_id=Subquery(messages.order_by("-pk").values("pk")[:1]),
            unread=Coalesce(Subquery(unread, output_field=IntegerField()), 0),
        )
        .filter(last_message_id__isnull=False)
        .select_related("patient", "psychologist__professional_profile")
        .order_by("-last_message_id", "-pk")
    )


def chat_conversations_with_last_message(conversations) -> list[Appointment]:
    """``conversations`` (rows of :func:`chat_conversations`) as a list, each with its
    ``last_message`` set: one query for all of them. The sender of a message is one of the
    appointment's participants, already loaded, so it costs nothing more.

    A conversation whose last message vanished between the two queries (its appointment was
    deleted meanwhile) is left out rather than shown without one.
    """
    rows = list(conversations)
    ids = [appointment.last_message_id for appointment in rows]
    messages = {message.pk: message for message in ChatMessage.objects.filter(pk__in=ids)}
    result = []
    for appointment in rows:
        message = messages.get(appointment.last_message_id)
        if message is None:
            continue
        people = {user.pk: user for user in (appointment.patient, appointment.psychologist)}
        if message.sender_id in people:
            message.sender = people[message.sender_id]
        message.appointment = appointment
        appointment.last_message = message
        result.append(appointment)
    return result


def chat_unread_counts(*, appointment_id: int) -> dict[int, int]:
    """Unread messages of each participant of the appointment's chat, by user id: those the
    other participant sent that this one has not read (as ``unread`` in the inbox). One query;
    empty when there is no such appointment."""
    not_read = Q(chat_messages__read_at__isnull=True)
    row = (
        Appointment.objects.filter(pk=appointment_id)
        .annotate(
            patient_unread=Count(
                "chat_messages", filter=not_read & ~Q(chat_messages__sender_id=F("patient_id"))
            ),
            psychologist_unread=Count(
                "chat_messages",
                filter=not_read & ~Q(chat_messages__sender_id=F("psychologist_id")),
            ),
        )
        .values("patient_id", "psychologist_id", "patient_unread", "psychologist_unread")
        .first()
    )
    if row is None:
        return {}
    return {
        row["patient_id"]: row["patient_unread"],
        row["psychologist_id"]: row["psychologist_unread"],
    }
