"""Writes: sending messages and marking them read. Every chat rule lives here, once."""

from __future__ import annotations

import re
import uuid
from functools import partial
from typing import Any, NamedTuple

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from psico_core.parsers import has_lone_surrogate
from psico_core.precompiled import PrecompiledQuery
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


# A UUID in its canonical text form, any version, either case. uuid.UUID() alone would also
# take braces, a "urn:uuid:" prefix, no hyphens, underscores and Unicode digits ("١"): one
# key, many spellings, which no schema documents.
_CANONICAL_UUID = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)


def _clean_client_id(client_id) -> uuid.UUID | None:
    if client_id is None:
        return None
    if not isinstance(client_id, str) or not _CANONICAL_UUID.fullmatch(client_id):
        raise ValidationError(
            {
                "client_id": ValidationError(
                    _(
                        "The client_id must be a UUID in its canonical form, "
                        "like 123e4567-e89b-12d3-a456-426614174000."
                    ),
                    code="invalid_client_id",
                )
            }
        )
    return uuid.UUID(client_id)


class StoredMessage(NamedTuple):
    """A message just stored, and the ``chat.message`` event announcing it after commit.

    ``created`` is False for a repeat: the ``client_id`` was already stored, ``message`` is
    that stored message, and nothing is to be broadcast (the others got it the first time).
    """

    message: ChatMessage
    event: dict[str, Any]
    created: bool = True


def _message_event(message: ChatMessage, *, previous_id: int) -> dict[str, Any]:
    return {
        "type": "chat.message",
        "id": message.pk,
        "appointment": message.appointment_id,
        "sender": message.sender_id,
        "previous_id": previous_id,
        "message": _plain(ChatMessageSerializer(message).data),
    }


def _stored_repeat(
    *, appointment: Appointment, sender, client_id: uuid.UUID
) -> StoredMessage | None:
    """The message ``sender`` already stored with ``client_id``, if any, as a repeat."""
    message = (
        ChatMessage.objects.select_related("sender")
        .filter(sender=sender, client_id=client_id)
        .first()
    )
    if message is None:
        return None
    return _repeat_of(appointment, message)


def _repeat_of(appointment: Appointment, message: ChatMessage) -> StoredMessage:
    """``message``, already stored, as a repeat in ``appointment``'s chat."""
    if message.appointment_id != appointment.pk:
        # Answering with it would show a message of another chat; the client has a bug.
        raise ValidationError(
            {
                "client_id": ValidationError(
                    _("This client_id was already used for a message in another chat."),
                    code="client_id_reused",
                )
            }
        )
    previous_id = (
        ChatMessage.objects.filter(appointment_id=appointment.pk, pk__lt=message.pk)
        .order_by("-pk")
        .values_list("pk", flat=True)
        .first()
    )
    return StoredMessage(message, _message_event(message, previous_id=previous_id or 0), False)


# Every message stored takes this lock (see message_store), so its SQL is compiled once.
# Only what the rules below read: whether the chat is open (status, end).
_LOCKED_APPOINTMENT = PrecompiledQuery(
    lambda pk: Appointment.objects.select_for_update().filter(pk=pk).only("status", "end"), 1
)


def _lock_appointment(pk: int) -> Appointment:
    """The appointment's row, locked until the transaction ends; raises DoesNotExist if gone."""
    for appointment in _LOCKED_APPOINTMENT(pk):
        return appointment
    raise Appointment.DoesNotExist(f"Appointment {pk} does not exist.")


def message_store(
    *, appointment: Appointment, sender, content: str, client_id: str | None = None
) -> StoredMessage:
    """Store a message from ``sender`` in the appointment's chat, without broadcasting it.

    For async callers (the chat socket), which broadcast ``event`` themselves with
    :func:`~psico_chat.broadcasting.chat_broadcast_async` once this has returned (and so
    committed), unless ``created`` is False; sync callers use :func:`message_post`. Raises
    like :func:`message_send`.

    ``client_id`` (a UUID in canonical text form, chosen by the client) makes the send
    idempotent: when ``sender`` already stored a message with it in this chat, that message
    comes back with ``created=False`` and nothing is stored (its content is not compared),
    even if the chat has closed since; in another chat of theirs, it is refused. Two sends with
    the same ``client_id`` at once store one message: in one chat the appointment's lock
    serialises them, and the second finds the first; across chats the unique constraint on
    (sender, client_id) refuses the second insert, which then finds the first.

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
    (outcome,) = message_store_many(
        appointment=appointment, sender=sender, messages=[(content, client_id)]
    )
    if isinstance(outcome, ValidationError):
        raise outcome
    return outcome


def message_store_many(
    *, appointment: Appointment, sender, messages: list[tuple[Any, Any]]
) -> list[StoredMessage | ValidationError]:
    """:func:`message_store` for several messages of ``sender`` at once, in one transaction.

    ``messages`` are ``(content, client_id)`` pairs in the order they were sent; the answer
    has one outcome per pair, in the same order: the :class:`StoredMessage`, or the
    ``ValidationError`` that message alone would have raised (a bad one never stops the
    others). One lock of the appointment, one read of the newest id and one insert serve all
    of them: the first new message's ``previous_id`` is that newest id, each next one's the
    id of the one before it, and their ids grow in the order given. A ``client_id`` that
    appears twice stores one message; the second answers it as a repeat. Raises
    ``PermissionDenied`` when ``sender`` is not a participant.
    """
    _require_participant(appointment=appointment, user=sender)
    outcomes: list[StoredMessage | ValidationError | None] = [None] * len(messages)
    cleaned: list[tuple[int, str, uuid.UUID | None]] = []
    for index, (content, client_id) in enumerate(messages):
        try:
            cleaned.append((index, _clean_content(content), _clean_client_id(client_id)))
        except ValidationError as exc:
            outcomes[index] = exc
    if cleaned:
        with transaction.atomic():
            current = _lock_appointment(appointment.pk)
            _store_cleaned(current, sender, cleaned, outcomes)
    return outcomes  # type: ignore[return-value]  # every slot is filled by now


def _store_cleaned(
    current: Appointment,
    sender,
    cleaned: list[tuple[int, str, uuid.UUID | None]],
    outcomes: list[StoredMessage | ValidationError | None],
) -> None:
    # In the transaction, with the appointment locked: fills the outcomes of ``cleaned``.
    keys = {key for _index, _text, key in cleaned if key is not None}
    if keys:
        known = {
            message.client_id: message
            for message in ChatMessage.objects.select_related("sender").filter(
                sender=sender, client_id__in=keys
            )
        }
        fresh = []
        for index, text, key in cleaned:
            if key in known:
                try:
                    outcomes[index] = _repeat_of(current, known[key])
                except ValidationError as exc:
                    outcomes[index] = exc
            else:
                fresh.append((index, text, key))
        cleaned = fresh
        if not cleaned:
            return
    if not chat_is_open(appointment=current):
        for index, _text, _key in cleaned:
            outcomes[index] = ValidationError(
                _("The chat of this appointment is closed."), code="chat_closed"
            )
        return
    previous_id = chat_latest_message_id(appointment_id=current.pk)
    # A client_id given twice here: stored once, the later ones answer the first.
    first_of: dict[uuid.UUID, int] = {}
    new: list[tuple[int, ChatMessage]] = []
    for index, text, key in cleaned:
        if key is not None and key in first_of:
            continue
        if key is not None:
            first_of[key] = index
        new.append(
            (index, ChatMessage(appointment=current, sender=sender, content=text, client_id=key))
        )
    stored = _insert(current, sender, [message for _index, message in new])
    by_index: dict[int, StoredMessage] = {}
    for (index, _message), outcome in zip(new, stored, strict=True):
        if outcome.created:
            outcome = StoredMessage(
                outcome.message, _message_event(outcome.message, previous_id=previous_id)
            )
            previous_id = outcome.message.pk
        by_index[index] = outcomes[index] = outcome
    for index, _text, key in cleaned:
        if outcomes[index] is None:
            assert key is not None
            first = by_index[first_of[key]]
            outcomes[index] = StoredMessage(first.message, first.event, False)


def _insert(current: Appointment, sender, messages: list[ChatMessage]) -> list[StoredMessage]:
    """Insert ``messages`` (ids growing in their order); their outcomes, events still empty."""
    if all(message.client_id is None for message in messages):
        return [StoredMessage(message, {}) for message in _bulk_insert(messages)]
    try:
        # A savepoint: the transaction stays usable when the insert is refused.
        with transaction.atomic():
            return [StoredMessage(message, {}) for message in _bulk_insert(messages)]
    except IntegrityError:
        pass
    # Only a concurrent send of the same (sender, client_id) in another chat gets here, and it
    # has committed by now (PostgreSQL waits for it before refusing): one at a time, to tell
    # which.
    outcomes = []
    for message in messages:
        message.pk = None
        try:
            with transaction.atomic():
                message.save(force_insert=True)
            outcomes.append(StoredMessage(message, {}))
        except IntegrityError:
            assert message.client_id is not None
            repeat = _stored_repeat(appointment=current, sender=sender, client_id=message.client_id)
            if repeat is None:
                raise
            outcomes.append(repeat)
    return outcomes


def _bulk_insert(messages: list[ChatMessage]) -> list[ChatMessage]:
    if len(messages) == 1:
        messages[0].save(force_insert=True)
        return messages
    # One INSERT ... RETURNING: PostgreSQL draws the ids in the order of the rows.
    return ChatMessage.objects.bulk_create(messages)


def message_post(
    *, appointment: Appointment, sender, content: str, client_id: str | None = None
) -> StoredMessage:
    """:func:`message_send` that tells a repeat apart (``created`` False; nothing broadcast)."""
    stored = message_store(
        appointment=appointment, sender=sender, content=content, client_id=client_id
    )
    if stored.created:
        # Inside an outer transaction, after its commit; otherwise now (the message is committed).
        transaction.on_commit(
            partial(chat_broadcast, appointment_id=appointment.pk, event=stored.event)
        )
    return stored


def message_send(
    *, appointment: Appointment, sender, content: str, client_id: str | None = None
) -> ChatMessage:
    """Store a message from ``sender`` in the appointment's chat, then broadcast it.

    The message is committed before anything is broadcast, and the broadcast (after commit)
    never fails the call: a socket that misses it gets the message on ``resume``.
    Raises ``PermissionDenied`` when the sender is not a participant, ``ValidationError``
    when the content is empty, too long or not text, or the chat is closed (see
    ``chat_is_open``), or ``client_id`` is not a UUID or was used in another chat. A
    ``client_id`` already stored in this chat returns that message (see
    :func:`message_store`).
    """
    return message_post(
        appointment=appointment, sender=sender, content=content, client_id=client_id
    ).message


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
