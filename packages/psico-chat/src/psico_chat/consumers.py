"""The chat socket: one connection per participant and appointment, ``ws/chat/<id>/``."""

from __future__ import annotations

import json
import logging
import time
from collections import deque
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from .broadcasting import chat_group_name
from .conf import chat_settings
from .selectors import (
    chat_appointment_get,
    chat_display_name,
    chat_is_open,
    chat_is_participant,
    chat_latest_message_id,
    chat_messages_between,
    chat_messages_page,
)
from .serializers import ChatMessageSerializer
from .services import message_mark_read, message_send

logger = logging.getLogger(__name__)

CLOSE_NOT_AUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404
CLOSE_UNAVAILABLE = 1011

# Messages read from the database per query when replaying or catching up.
_CHUNK = 100


def _language_from_scope(scope) -> str:
    request = HttpRequest()
    for name, value in scope.get("headers", []):
        if name == b"accept-language":
            request.META["HTTP_ACCEPT_LANGUAGE"] = value.decode("latin-1")
    request.COOKIES = scope.get("cookies", {})
    return translation.get_language_from_request(request)


def _is_id(value, *, minimum: int = 1) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= minimum


def _first_error(exc: ValidationError) -> tuple[str, list[str]]:
    errors = next(iter(exc.error_dict.values())) if hasattr(exc, "error_dict") else exc.error_list
    return errors[0].code or "invalid", errors[0].messages


class ChatConsumer(AsyncJsonWebsocketConsumer):
    """Live chat of one appointment between its patient and its professional.

    Messages reach a socket in id order, each exactly once: the socket keeps the range of ids it
    has delivered and reads anything newer from the database whenever the channel layer says a
    message was stored. ``resume`` fills in what came before the connection.
    """

    group_name: str | None = None

    async def connect(self) -> None:
        self.language = _language_from_scope(self.scope)
        self.message_times: deque[float] = deque()
        self.frame_times: deque[float] = deque()
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self._refuse(CLOSE_NOT_AUTHENTICATED)
            return
        appointment = await self._get_appointment(
            self.scope["url_route"]["kwargs"]["appointment_id"]
        )
        if appointment is None:
            await self._refuse(CLOSE_NOT_FOUND)
            return
        if not chat_is_participant(appointment=appointment, user=user) or not chat_is_open(
            appointment=appointment
        ):
            await self._refuse(CLOSE_FORBIDDEN)
            return
        self.user = user
        self.user_payload = {"id": user.pk, "name": chat_display_name(user)}
        self.appointment = appointment
        group_name = chat_group_name(appointment.pk)
        try:
            await self.channel_layer.group_add(group_name, self.channel_name)
        except Exception:
            logger.exception("The chat of appointment %s could not join its group.", appointment.pk)
            await self._refuse(CLOSE_UNAVAILABLE)
            return
        self.group_name = group_name
        # Joined first, then read the newest id: whatever is stored later is announced to us,
        # whatever was stored before is history. Ids in (low, high] have been delivered.
        self.delivered_low = self.delivered_high = await self._latest_message_id()
        await self.accept()

    async def _refuse(self, code: int) -> None:
        # ASGI servers turn a close before accept into a plain HTTP 403 (uvicorn, daphne), so
        # the client would never see the code: accept first, then close with it.
        await self.accept()
        await self.close(code=code)

    async def disconnect(self, code: int) -> None:
        if self.group_name is None:
            return
        try:
            await self.channel_layer.group_discard(self.group_name, self.channel_name)
        except Exception:
            logger.warning("Could not leave the chat group %s.", self.group_name, exc_info=True)

    # Client frames ------------------------------------------------------------------------

    async def receive(self, text_data=None, bytes_data=None, **kwargs) -> None:
        if self.group_name is None:
            return  # refused: frames that raced the close are ignored
        if not self._allow(self.frame_times, chat_settings.RATE_LIMIT_FRAMES):
            await self._error("rate_limited", _("Too many frames; slow down."))
            return
        if text_data is None:
            await self._error("binary_not_supported", _("Send JSON text frames, not binary ones."))
            return
        limit = chat_settings.MAX_FRAME_BYTES
        if len(text_data) > limit or len(text_data.encode()) > limit:
            await self._error(
                "frame_too_large",
                _("The frame is too large; the limit is %(limit)s bytes."),
                params={"limit": limit},
            )
            return
        try:
            content = json.loads(text_data)
        except ValueError:
            await self._error("invalid_json", _("The frame is not valid JSON."))
            return
        if not isinstance(content, dict):
            await self._error("invalid_frame", _("The frame must be a JSON object."))
            return
        await self.receive_json(content)

    async def receive_json(self, content: dict[str, Any], **kwargs) -> None:
        kind = content.get("type", "chat.message" if "message" in content else None)
        handlers = {
            "chat.message": self._on_message,
            "typing": self._on_typing,
            "read": self._on_read,
            "history": self._on_history,
            "resume": self._on_resume,
        }
        handler = handlers.get(kind) if isinstance(kind, str) else None
        if handler is None:
            await self._error("unknown_type", _("Unknown frame type."))
            return
        await handler(content)

    async def _on_message(self, content: dict[str, Any]) -> None:
        if not isinstance(content.get("message"), str):
            await self._error("invalid_frame", _("A chat.message frame needs a text “message”."))
            return
        if not self._allow(self.message_times, chat_settings.RATE_LIMIT_MESSAGES):
            await self._error("rate_limited", _("Too many messages; wait a moment and try again."))
            return
        try:
            await self._send_message(content["message"])
        except ValidationError as exc:
            await self._validation_error(exc)
            return
        # The sender's own copy comes from the database, not from the layer, so it gets its id
        # even when the broadcast fails.
        await self._deliver_new()

    async def _on_typing(self, content: dict[str, Any]) -> None:
        try:
            await self.channel_layer.group_send(
                self.group_name,
                {"type": "chat.typing", "user": self.user_payload, "channel": self.channel_name},
            )
        except Exception:
            logger.warning("Could not broadcast typing to %s.", self.group_name, exc_info=True)

    async def _on_read(self, content: dict[str, Any]) -> None:
        message_id = content.get("message_id")
        if not _is_id(message_id):
            await self._error("invalid_frame", _("A read frame needs a positive “message_id”."))
            return
        try:
            await self._mark_read(message_id)
        except ValidationError as exc:
            await self._validation_error(exc)

    async def _on_history(self, content: dict[str, Any]) -> None:
        before, limit = content.get("before"), content.get("limit")
        if not (before is None or _is_id(before)) or not (limit is None or _is_id(limit)):
            await self._error(
                "invalid_frame", _("“before” and “limit” must be positive integers when given.")
            )
            return
        messages, has_more = await self._history(before, limit)
        await self.send_json(
            {"type": "history", "before": before, "messages": messages, "has_more": has_more}
        )

    async def _on_resume(self, content: dict[str, Any]) -> None:
        after = content.get("after")
        if not _is_id(after, minimum=0):
            await self._error("invalid_frame", _("A resume frame needs an integer “after” >= 0."))
            return
        count = 0
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
        if event["id"] > self.delivered_high:
            await self._deliver_new()

    async def chat_typing(self, event: dict[str, Any]) -> None:
        if event["channel"] != self.channel_name:
            await self.send_json({"type": "typing", "user": event["user"]})

    async def chat_read(self, event: dict[str, Any]) -> None:
        await self.send_json(
            {"type": "read", "message_id": event["message_id"], "user": event["user"]}
        )

    # Delivery -----------------------------------------------------------------------------

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

    def _allow(self, times: deque[float], limit: int) -> bool:
        now = time.monotonic()
        while times and now - times[0] >= chat_settings.RATE_LIMIT_SECONDS:
            times.popleft()
        if len(times) >= limit:
            return False
        times.append(now)
        return True

    async def _error(self, code: str, detail, *, params: dict | None = None) -> None:
        with translation.override(self.language):
            text = str(detail) % params if params else str(detail)
        await self.send_json({"type": "error", "code": code, "detail": text})

    async def _validation_error(self, exc: ValidationError) -> None:
        with translation.override(self.language):
            code, messages = _first_error(exc)
        await self.send_json({"type": "error", "code": code, "detail": " ".join(messages)})

    # Database -----------------------------------------------------------------------------

    @database_sync_to_async
    def _get_appointment(self, appointment_id: int):
        return chat_appointment_get(appointment_id=appointment_id)

    @database_sync_to_async
    def _latest_message_id(self) -> int:
        return chat_latest_message_id(appointment_id=self.appointment.pk)

    @database_sync_to_async
    def _send_message(self, text: str) -> None:
        message_send(appointment=self.appointment, sender=self.user, content=text)

    @database_sync_to_async
    def _mark_read(self, message_id: int) -> None:
        message_mark_read(appointment=self.appointment, reader=self.user, up_to_id=message_id)

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
    def _history(self, before: int | None, limit: int | None) -> tuple[list[dict], bool]:
        page = chat_messages_page(appointment_id=self.appointment.pk, before=before, limit=limit)
        return ChatMessageSerializer(page.messages, many=True).data, page.has_more
