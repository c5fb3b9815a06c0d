"""Writes: sending messages and marking them read. Every chat rule lives here, once."""

from __future__ import annotations

from functools import partial
from typing import Any, NamedTuple

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from psico_core.parsers import has_lone_surrogate
from psico_scheduling.models import Appointment
from psico_scheduling.selectors import appointment_is_participant

from .broadcasting import chat_broadcast
from .conf import chat_settings
from .models import ChatMessage
from .selectors import chat_display_name, chat_is_open, chat_latest_message_id
from .serializers import ChatMessageSerializer


def _require_participant(*, appointment: Appointment, user) -> None:
    # The participant rule is scheduling's; the views answer a non-participant with 404 before
    # this runs, so here it guards direct callers, with scheduling's PermissionDenied (403).
    if not appointment_is_participant(appointment=appointment, user=user):
        raise PermissionDenied(
            _("Only the patient and the professional of this appointment can use its chat.")
        )


def _clean_content(content) -> str:
    # Errors are keyed "message": the content's name in every public protocol (REST, socket).
    if not isinstance(content, str):
        raise ValidationError(
            {"message": ValidationError(_("The message must be text."), code="invalid")}
        )
    text = content.strip()
    if not text:
        raise ValidationError(
            {"message": ValidationError(_("The message is empty."), code="empty_message")}
        )
    if "\x00" in text or has_lone_surrogate(text):
        # PostgreSQL cannot store NUL characters in text columns, and a lone UTF-16 surrogate
        # ("\ud800", possible in a Python str) is not text any encoder or database accepts.
        raise ValidationError(
            {
                "message": ValidationError(
                    _("The message contains characters that are not allowed."),
                    code="invalid_characters",
                )
            }
        )
    limit = chat_settings.MAX_MESSAGE_LENGTH
    if len(text) > limit:
        raise ValidationError(
            {
                "message": ValidationError(
                    _("The message is too long (%(length)s characters); the limit is %(limit)s."),
                    code="message_too_long",
                    params={"length": len(text), "limit": limit},
                )
            }
        )
    return text


class StoredMessage(NamedTuple):
    """A message just stored, and the ``chat.message`` event announcing it after commit."""

    message: ChatMessage
    event: dict[str, Any]


def message_store(*, appointment: Appointment, sender, content: str) -> StoredMessage:
    """Store a message from ``sender`` in the appointment's chat, without broadcasting it.

    For async callers (the chat socket), which broadcast ``event`` themselves with
    :func:`~psico_chat.broadcasting.chat_broadcast_async` once this has returned (and so
    committed); sync callers use :func:`message_send`. Raises like :func:`message_send`.

    The event carries the stored message as the socket sends it (``message``) and
    ``previous_id``, the id of the message stored just before it in the same chat (0 for the
    first). Locking the appointment row serialises the writers of one chat: the id of the
    newest message, read after the lock is held, is the predecessor for good, and every later
    message of the chat gets a greater id. A socket whose last delivered id equals
    ``previous_id`` can send the event's message as it is, in order, with nothing skipped.
    The read is a statement of its own on purpose: under READ COMMITTED (Django's default on
    PostgreSQL) each statement sees what was committed when it starts, so it sees the message
    of the writer that held the lock before us; a subquery of the locking SELECT would not.
    """
    _require_participant(appointment=appointment, user=sender)
    text = _clean_content(content)
    with transaction.atomic():
        current = Appointment.objects.select_for_update().get(pk=appointment.pk)
        if not chat_is_open(appointment=current):
            raise ValidationError(_("The chat of this appointment is closed."), code="chat_closed")
        previous_id = chat_latest_message_id(appointment_id=current.pk)
        message = ChatMessage.objects.create(appointment=current, sender=sender, content=text)
    event = {
        "type": "chat.message",
        "id": message.pk,
        "appointment": current.pk,
        "sender": sender.pk,
        "previous_id": previous_id,
        "message": _plain(ChatMessageSerializer(message).data),
    }
    return StoredMessage(message, event)


def message_send(*, appointment: Appointment, sender, content: str) -> ChatMessage:
    """Store a message from ``sender`` in the appointment's chat, then broadcast it.

    The message is committed before anything is broadcast, and the broadcast (after commit)
    never fails the call: a socket that misses it gets the message on ``resume``.
    Raises ``PermissionDenied`` when the sender is not a participant, ``ValidationError``
    when the content is empty, too long or not text, or the chat is closed (see
    ``chat_is_open``).
    """
    stored = message_store(appointment=appointment, sender=sender, content=content)
    # Inside an outer transaction, after its commit; otherwise now (the message is committed).
    transaction.on_commit(
        partial(chat_broadcast, appointment_id=appointment.pk, event=stored.event)
    )
    return stored.message


def _plain(data) -> dict[str, Any]:
    # DRF's ReturnDict/OrderedDict as plain dicts: what the channel layer serialises.
    return {key: _plain(value) if isinstance(value, dict) else value for key, value in data.items()}


class ReadRecorded(NamedTuple):
    """How many messages a read marked, and the ``chat.read`` event (None if none changed)."""

    changed: int
    event: dict[str, Any] | None


def message_read_record(*, appointment: Appointment, reader, up_to_id: int) -> ReadRecorded:
    """:func:`message_mark_read` without the broadcast, for async callers (the chat socket).

    They broadcast ``event``, when there is one, with
    :func:`~psico_chat.broadcasting.chat_broadcast_async` once this has returned.
    """
    _require_participant(appointment=appointment, user=reader)
    messages = ChatMessage.objects.filter(appointment=appointment)
    if not messages.filter(pk=up_to_id).exists():
        raise ValidationError(
            {
                "message_id": ValidationError(
                    _("There is no message %(id)s in this chat."),
                    code="unknown_message",
                    params={"id": up_to_id},
                )
            }
        )
    changed = (
        messages.filter(pk__lte=up_to_id, read_at__isnull=True)
        .exclude(sender=reader)
        .update(read_at=timezone.now())
    )
    if not changed:
        return ReadRecorded(0, None)
    event = {
        "type": "chat.read",
        "message_id": up_to_id,
        "user": {"id": reader.pk, "name": chat_display_name(reader)},
    }
    return ReadRecorded(changed, event)


def message_mark_read(*, appointment: Appointment, reader, up_to_id: int) -> int:
    """Mark as read, for ``reader``, every message up to ``up_to_id`` that the other one sent.

    Returns how many messages changed; when some did, a ``read`` receipt is broadcast after
    commit. Raises ``PermissionDenied`` when the reader is not a participant and
    ``ValidationError`` when ``up_to_id`` is not a message of this appointment.
    """
    recorded = message_read_record(appointment=appointment, reader=reader, up_to_id=up_to_id)
    if recorded.event is not None:
        transaction.on_commit(
            partial(chat_broadcast, appointment_id=appointment.pk, event=recorded.event)
        )
    return recorded.changed
