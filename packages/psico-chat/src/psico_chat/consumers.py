"""The chat socket: one connection per participant and appointment, ``ws/chat/<id>/``."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeGuard

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from psico_core.audit import AuditAction, audit_event, client_from_scope
from psico_scheduling.selectors import appointment_is_participant

from .broadcasting import chat_broadcast_async, chat_broadcast_messages_async, chat_group_name
from .conf import chat_settings
from .selectors import (
    chat_appointment_get,
    chat_display_name,
    chat_is_open,
    chat_latest_message_id,
    chat_messages_between,
    chat_messages_page,
    chat_other_participant,
)
from .serializers import ChatMessageSerializer
from .services import (
    ReadRecorded,
    StoredMessage,
    message_read_record,
    message_store_many,
)
from .sockets import CLOSE_FORBIDDEN, CLOSE_NOT_FOUND, LayerSocketConsumer
from .throttling import message_budget_take_many

logger = logging.getLogger(__name__)

# The largest id the database holds (PostgreSQL bigint); larger ones are refused in the frame.
_MAX_ID = 2**63 - 1

# Messages read from the database per query when replaying or catching up.
_CHUNK = 100

# How long a message that arrived ahead of its predecessor waits for the predecessor's event
# (normally on its way from another server process) before the gap is read from the database.
GAP_WAIT_SECONDS = 0.25
# Most such messages held per socket; one more and the gap is read from the database at once.
_MAX_WAITING = 64
# Most chat.message frames of one socket stored in one transaction.
_MAX_BATCH = 50

# The close code of a socket whose storing failed unexpectedly (the database is down, say).
CLOSE_INTERNAL_ERROR = 1011


def _is_id(value, *, minimum: int = 1) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and minimum <= value <= _MAX_ID


def _first_error(exc: ValidationError) -> tuple[str, list[str]]:
    errors = next(iter(exc.error_dict.values())) if hasattr(exc, "error_dict") else exc.error_list
    return errors[0].code or "invalid", errors[0].messages


class ChatConsumer(LayerSocketConsumer):
    """Live chat of one appointment between its patient and its professional.

    Messages reach a socket in id order, each exactly once. The socket keeps the range of ids
    it has delivered, ``(delivered_low, delivered_high]``. A ``chat.message`` event from the
    channel layer (or each of a ``chat.messages`` event's, a batch stored at once) carries the
    stored message and ``previous_id``, the id of the chat's message stored just before it
    (see :func:`~psico_chat.services.message_store`):

    - ``id <= delivered_high``: already delivered (the sender's own copy, or a message read
      from the database on an earlier gap), skipped;
    - ``previous_id == delivered_high``: the very next message of this chat, sent as it is,
      with no database read;
    - ``previous_id`` beyond ``delivered_high``: the message is held until the event of its
      predecessor comes (two processes' events overtake each other in Redis), at most
      ``GAP_WAIT_SECONDS``; then, or at once for an event without the message (a server of
      an earlier version), the gap is filled by reading every message newer than
      ``delivered_high`` from the database, in id order.

    ``resume`` fills in what came before the connection.

    ``chat.message`` frames are stored in the background, in order, by one task of the socket
    that exists only while some are waiting: the frames that arrive while it stores a batch
    form the next batch, which takes its budget in one cache round trip and is stored in one
    transaction (:func:`~psico_chat.services.message_store_many`). Each frame still gets its
    own answer (its message, or its error frame), in the order the frames came. Any other
    frame, and an error frame of the socket's own checks, waits until the messages sent
    before it are answered. Everything the socket delivers goes through ``_delivering``, so
    the task and the layer's events never deliver at the same time.
    """

    socket_label = "chat"
    layer_lost_event = "chat.layer_lost"
    # The frames of this socket as site/asyncapi.yaml documents them (a test compares the
    # two): the client's, each with the method that handles it, and the server's.
    client_frames = {
        "chat.message": "_on_message",
        "typing": "_on_typing",
        "read": "_on_read",
        "history": "_on_history",
        "resume": "_on_resume",
    }
    server_frames = frozenset({"chat.message", "typing", "read", "history", "resume", "error"})

    def _own_sources(self) -> list[Callable[[], Awaitable[dict[str, Any]]]]:
        # Timers of this socket (see _deliver_event) speak through this queue, so that their
        # work is dispatched in turn with the client's frames and the layer's events.
        self._own_events: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._gap_timer: asyncio.TimerHandle | None = None
        # Events that arrived ahead of their predecessor, by their ``previous_id``.
        self._waiting: dict[int, dict[str, Any]] = {}
        # chat.message frames not stored yet, in order, and the task storing them (if any).
        self._outbox: list[dict[str, Any]] = []
        self._storing: asyncio.Task | None = None
        self._delivering = asyncio.Lock()
        return [self._own_events.get]

    async def connect(self) -> None:
        user = await self._authenticated_user()
        if user is None:
            return
        appointment = await self._get_appointment(
            self.scope["url_route"]["kwargs"]["appointment_id"]
        )
        if appointment is None:
            await self._refuse(CLOSE_NOT_FOUND)
            return
        if not appointment_is_participant(appointment=appointment, user=user) or not chat_is_open(
            appointment=appointment
        ):
            await self._refuse(CLOSE_FORBIDDEN)
            return
        self.user = user
        self.user_payload = {"id": user.pk, "name": chat_display_name(user)}
        self.appointment = appointment
        if not await self._join(chat_group_name(appointment.pk)):
            return
        # Joined first, then read the newest id: whatever is stored later is announced to us,
        # whatever was stored before is history. Ids in (low, high] have been delivered.
        self.delivered_low = self.delivered_high = await self._latest_message_id()
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if self._gap_timer is not None:
            self._gap_timer.cancel()
        # Frames that arrived before the close are stored and broadcast all the same.
        await self._messages_answered()
        await super().disconnect(code)

    # Client frames ------------------------------------------------------------------------

    async def receive_json(self, content: Any, **kwargs) -> None:
        if not isinstance(content, dict):
            await self._error("invalid_frame", _("The frame must be a JSON object."))
            return
        kind = content.get("type", "chat.message" if "message" in content else None)
        name = self.client_frames.get(kind) if isinstance(kind, str) else None
        if name is None:
            await self._error("unknown_type", _("Unknown frame type."))
            return
        handler: Callable[[dict[str, Any]], Awaitable[None]] = getattr(self, name)
        if kind != "chat.message":
            await self._messages_answered()
        await handler(content)

    async def _error(self, code: str, detail, *, params: dict | None = None) -> None:
        # After the answers of the messages sent before the frame it answers.
        await self._messages_answered()
        await super()._error(code, detail, params=params)

    async def _messages_answered(self) -> None:
        """Wait until every chat.message frame received so far has been answered."""
        while self._storing is not None:
            # Shielded: a cancelled wait (the socket is closing) leaves the storing alone.
            await asyncio.shield(self._storing)

    async def _on_message(self, content: dict[str, Any]) -> None:
        self._outbox.append(content)
        if self._storing is None:
            self._storing = asyncio.get_running_loop().create_task(self._store_outbox())

    async def _store_outbox(self) -> None:
        try:
            while self._outbox:
                batch, self._outbox = self._outbox[:_MAX_BATCH], self._outbox[_MAX_BATCH:]
                await self._store_batch(batch)
        except Exception:
            logger.exception("Storing the messages of a chat socket failed; closing it.")
            self._outbox = []
            await self._quietly(self.close(code=CLOSE_INTERNAL_ERROR))
        finally:
            # No await since the outbox was last seen empty: a frame after this starts anew.
            self._storing = None

    async def _store_batch(self, batch: list[dict[str, Any]]) -> None:
        """Answer ``batch``'s chat.message frames, in order, and broadcast what was stored."""
        texts = sum(isinstance(content.get("message"), str) for content in batch)
        budget = iter(await self._take_message_budget(texts) if texts else [])
        # Per frame, in order: its error frame, or its place among the messages to store.
        plan: list[dict[str, Any] | int] = []
        pairs: list[tuple[Any, Any]] = []
        for content in batch:
            if not isinstance(content.get("message"), str):
                plan.append(
                    self._error_frame(
                        "invalid_frame", _("A chat.message frame needs a text “message”.")
                    )
                )
            elif not next(budget):
                plan.append(
                    self._error_frame(
                        "rate_limited", _("Too many messages; wait a moment and try again.")
                    )
                )
            else:
                plan.append(len(pairs))
                pairs.append((content["message"], content.get("client_id")))
        outcomes = await self._store_messages(pairs) if pairs else []
        created: list[dict[str, Any]] = []
        async with self._delivering:
            for item in plan:
                if isinstance(item, dict):
                    await self._quietly(self.send_json(item))
                    continue
                outcome = outcomes[item]
                if isinstance(outcome, ValidationError):
                    await self._quietly(self.send_json(self._validation_frame(outcome)))
                elif not outcome.created:
                    # A resend of a stored message (its client_id is known): answered to this
                    # socket only, even if it delivered the message already or it is older
                    # than the socket's newest; the others got it the first time.
                    await self._quietly(
                        self.send_json({"type": "chat.message", **outcome.event["message"]})
                    )
                else:
                    # The sender's own copy does not wait for the layer, so it arrives (with
                    # its id) even when the broadcast fails; its echo from the layer is then
                    # skipped as delivered.
                    await self._quietly(self._deliver_event(outcome.event))
                    created.append(outcome.event)
        # Here, in async code, once the write has committed: the database thread, which
        # every socket of the process shares, never waits for Redis. The batch goes as one
        # event, and the unread badges are pushed in the background, once per burst (see
        # psico_chat.live).
        if created:
            await chat_broadcast_messages_async(
                appointment_id=self.appointment.pk, events=created, push_later=True
            )

    async def _quietly(self, sending: Awaitable[Any]) -> None:
        # The client may have gone meanwhile: what is stored stays stored and is broadcast.
        try:
            await sending
        except Exception:
            logger.debug("Could not answer a chat socket that has gone.", exc_info=True)

    async def _on_typing(self, content: dict[str, Any]) -> None:
        try:
            # Frames arrive only after connect() joined the group.
            assert self.group_name is not None
            async with asyncio.timeout(chat_settings.CHANNEL_LAYER_TIMEOUT):
                await self.channel_layer.group_send(
                    self.group_name,
                    {
                        "type": "chat.typing",
                        "user": self.user_payload,
                        "channel": self.channel_name,
                    },
                )
        except Exception:
            logger.warning("Could not broadcast typing to %s.", self.group_name, exc_info=True)

    async def _on_read(self, content: dict[str, Any]) -> None:
        message_id = content.get("message_id")
        if not _is_id(message_id):
            await self._error("invalid_frame", _("A read frame needs a positive “message_id”."))
            return
        try:
            recorded = await self._record_read(message_id)
        except ValidationError as exc:
            await self._validation_error(exc)
            return
        if recorded.event is not None:
            await chat_broadcast_async(appointment_id=self.appointment.pk, event=recorded.event)

    async def _on_history(self, content: dict[str, Any]) -> None:
        before, limit = content.get("before"), content.get("limit")
        if not (before is None or _is_id(before)) or not (limit is None or _is_id(limit)):
            await self._error(
                "invalid_frame", _("“before” and “limit” must be positive integers when given.")
            )
            return
        messages, has_more = await self._history(before, limit)
        await self._audit_history_read()
        await self.send_json(
            {"type": "history", "before": before, "messages": messages, "has_more": has_more}
        )

    async def _on_resume(self, content: dict[str, Any]) -> None:
        after = content.get("after")
        if not _is_id(after, minimum=0):
            await self._error("invalid_frame", _("A resume frame needs an integer “after” >= 0."))
            return
        await self._audit_history_read()
        count = 0
        async with self._delivering:
            if after < self.delivered_low:
                count += await self._deliver_range(after=after, up_to=self.delivered_low)
                self.delivered_low = after
            # The client already holds everything up to ``after``.
            self.delivered_high = max(self.delivered_high, after)
            count += await self._deliver_new()
        await self.send_json(
            {"type": "resume", "after": after, "count": count, "last_id": self.delivered_high}
        )

    # Channel layer events -----------------------------------------------------------------

    async def chat_message(self, event: dict[str, Any]) -> None:
        async with self._delivering:
            await self._deliver_event(event)

    async def chat_messages(self, event: dict[str, Any]) -> None:
        # Several chat.message events of one batch, in order (chat_broadcast_messages_async).
        async with self._delivering:
            for message_event in event["events"]:
                await self._deliver_event(message_event)

    async def chat_typing(self, event: dict[str, Any]) -> None:
        if event["channel"] != self.channel_name:
            await self.send_json({"type": "typing", "user": event["user"]})

    async def chat_read(self, event: dict[str, Any]) -> None:
        await self.send_json(
            {"type": "read", "message_id": event["message_id"], "user": event["user"]}
        )

    async def chat_layer_lost(self, event: dict[str, Any]) -> None:
        await self.close_layer_lost()

    async def chat_gap_timeout(self, event: dict[str, Any]) -> None:
        self._gap_timer = None
        async with self._delivering:
            if self._waiting:
                await self._deliver_new()

    # Delivery -----------------------------------------------------------------------------

    async def _deliver_event(self, event: dict[str, Any]) -> None:
        """Deliver the message ``event`` announces, in order, once (see the class docstring).

        An event ahead of its predecessor waits, up to ``GAP_WAIT_SECONDS``, for the
        predecessor's event, which is usually already queued behind it (two server
        processes' broadcasts overtake each other in Redis, and the sender's own copy is
        ready before the layer has handed over the message just before it). If the gap is
        still open then, it is read from the database, as it is at once for an event
        without the message.
        """
        if event["id"] <= self.delivered_high:
            return
        if not isinstance(event.get("message"), dict) or len(self._waiting) >= _MAX_WAITING:
            await self._deliver_new()
            return
        self._waiting[event["previous_id"]] = event
        await self._send_waiting()
        if self._waiting and self._gap_timer is None:
            self._gap_timer = asyncio.get_running_loop().call_later(
                GAP_WAIT_SECONDS, self._own_events.put_nowait, {"type": "chat.gap_timeout"}
            )

    async def _send_waiting(self) -> None:
        """Send the waiting messages that now follow on, and forget those already delivered."""
        while (event := self._waiting.pop(self.delivered_high, None)) is not None:
            await self.send_json({"type": "chat.message", **event["message"]})
            self.delivered_high = event["id"]
        stale = [key for key, event in self._waiting.items() if event["id"] <= self.delivered_high]
        for key in stale:
            del self._waiting[key]
        if not self._waiting and self._gap_timer is not None:
            self._gap_timer.cancel()
            self._gap_timer = None

    async def _deliver_new(self) -> int:
        """Send every stored message newer than what this socket delivered, in id order."""
        sent = 0
        while True:
            payloads = await self._messages_between(self.delivered_high, None)
            for payload in payloads:
                await self.send_json(payload)
                self.delivered_high = payload["id"]
            sent += len(payloads)
            if len(payloads) < _CHUNK:
                break
        await self._send_waiting()
        return sent

    async def _deliver_range(self, *, after: int, up_to: int) -> int:
        sent = 0
        while True:
            payloads = await self._messages_between(after, up_to)
            for payload in payloads:
                await self.send_json(payload)
                after = payload["id"]
            sent += len(payloads)
            if len(payloads) < _CHUNK:
                return sent

    async def _validation_error(self, exc: ValidationError) -> None:
        await self.send_json(self._validation_frame(exc))

    def _validation_frame(self, exc: ValidationError) -> dict[str, Any]:
        with translation.override(self.language):
            code, messages = _first_error(exc)
        return {"type": "error", "code": code, "detail": " ".join(messages)}

    @sync_to_async(thread_sensitive=False)
    def _take_message_budget(self, count: int) -> list[bool]:
        # A cache round trip (Redis in production): off the event loop, beside the ORM work.
        return message_budget_take_many(
            user_id=self.user.pk, appointment_id=self.appointment.pk, count=count
        )

    # Database -----------------------------------------------------------------------------

    @database_sync_to_async
    def _get_appointment(self, appointment_id: int):
        return chat_appointment_get(appointment_id=appointment_id)

    @database_sync_to_async
    def _latest_message_id(self) -> int:
        return chat_latest_message_id(appointment_id=self.appointment.pk)

    @database_sync_to_async
    def _store_messages(
        self, pairs: list[tuple[Any, Any]]
    ) -> list[StoredMessage | ValidationError]:
        return message_store_many(appointment=self.appointment, sender=self.user, messages=pairs)

    @database_sync_to_async
    def _record_read(self, message_id: int) -> ReadRecorded:
        return message_read_record(
            appointment=self.appointment, reader=self.user, up_to_id=message_id
        )

    @database_sync_to_async
    def _messages_between(self, after: int, up_to: int | None) -> list[dict[str, Any]]:
        messages = chat_messages_between(
            appointment_id=self.appointment.pk, after=after, up_to=up_to, limit=_CHUNK
        )
        return [
            {"type": "chat.message", **item}
            for item in ChatMessageSerializer(messages, many=True).data
        ]

    @database_sync_to_async
    def _audit_history_read(self) -> None:
        audit_event(
            action=AuditAction.CHAT_HISTORY_READ,
            actor=self.user,
            object_type="appointment",
            object_id=self.appointment.pk,
            subject=chat_other_participant(appointment=self.appointment, user=self.user),
            client=client_from_scope(self.scope),
        )

    @database_sync_to_async
    def _history(self, before: int | None, limit: int | None) -> tuple[list[dict], bool]:
        page = chat_messages_page(appointment_id=self.appointment.pk, before=before, limit=limit)
        # drf-stubs type a many=True serializer's data as a ReturnDict; it is a ReturnList.
        return ChatMessageSerializer(page.messages, many=True).data, page.has_more  # type: ignore[return-value]
