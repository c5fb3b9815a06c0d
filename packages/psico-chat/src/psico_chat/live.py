"""Per-user live events: ``ws/notifications/``, one socket per signed-in client.

A front end keeps this socket open to show badges without polling. It carries two frames,
each with absolute values (never a delta), so a lost frame is mended by the next one and a
client that reconnects re-reads the REST API (the database is the source of truth):

- ``{"type": "chat.unread", "appointment": id, "unread": n}``: the user's unread messages in
  that chat, after a message reached it (socket or REST) and after the user read messages on
  any device (so their other devices update too);
- ``{"type": "appointment.updated", "appointment": id, "status": ..., "event": ...}``: one of
  the user's appointments was booked, confirmed, cancelled, rescheduled, completed or marked
  no-show (``event`` is the name of :mod:`psico_scheduling.signals`).

Pushes are best effort: a channel layer that fails is logged and never fails the chat
message, the read receipt or the appointment change that caused the push.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections import deque
from typing import Any

from asgiref.sync import async_to_sync, sync_to_async
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.layers import get_channel_layer
from channels.utils import await_many_dispatch
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from psico_core.parsers import UnreadableJSON, json_loads_strict

from .broadcasting import _group_send
from .conf import chat_settings
from .consumers import CLOSE_NOT_AUTHENTICATED, CLOSE_TRY_AGAIN_LATER, _language_from_scope
from .selectors import chat_unread_counts

logger = logging.getLogger(__name__)

# Longest client frame read; the socket only understands {"type": "ping"}.
MAX_CLIENT_FRAME_BYTES = 1024


def user_group_name(user_id: int) -> str:
    """The channel-layer group joined by every ``ws/notifications/`` socket of the user."""
    return f"psico_chat.user.{user_id}"


# Pushing ---------------------------------------------------------------------------------


async def user_events_send_async(*, user_ids, frame: dict[str, Any]) -> bool:
    """Send ``frame`` to every notifications socket of each user in ``user_ids``.

    Never raises: a failure is logged and reported as False (the socket closes with 1013 when
    its own layer connection fails, and the client re-reads on reconnect).
    """
    layer = get_channel_layer()
    if layer is None:
        return False
    for user_id in dict.fromkeys(user_ids):
        try:
            await _group_send(
                layer, user_group_name(user_id), {"type": "live.event", "frame": frame}
            )
        except Exception:
            # The layer is down: the next user's send would only wait and fail the same way.
            logger.warning(
                "Could not push %s of appointment %s to user %s; clients re-read on reconnect.",
                frame["type"],
                frame["appointment"],
                user_id,
                exc_info=True,
            )
            return False
    return True


async def chat_event_user_push_async(*, appointment_id: int, event: dict[str, Any]) -> None:
    """The ``chat.unread`` pushes a chat event implies, once it has been broadcast.

    A ``chat.message`` changes the recipient's count, a ``chat.read`` the reader's. The counts
    are read with one query, after the commit of the write the event announces. Never raises.
    """
    kind = event.get("type")
    try:
        counts = await _unread_counts(appointment_id)
        if kind == "chat.message":
            user_ids = [user_id for user_id in counts if user_id != event["sender"]]
        else:
            user_ids = [event["user"]["id"]]
        for user_id in user_ids:
            if user_id in counts:
                frame = {
                    "type": "chat.unread",
                    "appointment": appointment_id,
                    "unread": counts[user_id],
                }
                await user_events_send_async(user_ids=[user_id], frame=frame)
    except Exception:
        logger.warning(
            "Could not push the unread count after %s in the chat of appointment %s.",
            kind,
            appointment_id,
            exc_info=True,
        )


# Not database_sync_to_async: this also runs in a REST request's own thread (through
# chat_broadcast's async_to_sync), whose connection must not be closed under it. In a socket
# it runs in the thread every database call of the process shares, like the consumers' reads.
@sync_to_async(thread_sensitive=True)
def _unread_counts(appointment_id: int) -> dict[int, int]:
    return chat_unread_counts(appointment_id=appointment_id)


def appointment_changed_push(sender, *, appointment, event: str, **kwargs) -> None:
    """Receiver of :data:`psico_scheduling.signals.appointment_changed` (connected in
    ``PsicoChatConfig.ready``): ``appointment.updated`` to both participants. Never raises.

    The signal comes after commit from sync code (views, admin, commands), never from a
    thread that runs an event loop.
    """
    frame = {
        "type": "appointment.updated",
        "appointment": appointment.pk,
        "status": appointment.status,
        "event": event,
    }
    try:
        async_to_sync(user_events_send_async)(
            user_ids=[appointment.patient_id, appointment.psychologist_id], frame=frame
        )
    except Exception:
        logger.warning("Could not push %s of appointment %s.", event, appointment.pk, exc_info=True)


# The socket ------------------------------------------------------------------------------


class NotificationsConsumer(AsyncJsonWebsocketConsumer):
    """``ws/notifications/``: the events of the signed-in user (see the module docstring).

    Authenticated like the chat (session, ticket, deprecated token); anonymous → close 4401;
    a channel layer that cannot be joined, or fails under the open socket → close 1013. The
    client sends nothing but ``{"type": "ping"}`` (answered ``{"type": "pong"}``); any other
    frame gets ``{"type": "error", "code", "detail"}`` and the socket stays open. It keeps no
    task or queue of its own: one group membership and a few attributes per socket.
    """

    group_name: str | None = None

    async def __call__(self, scope, receive, send):
        # As ChatConsumer.__call__: the layer's receive goes through _receive_from_layer, so
        # a layer (Redis) that drops closes the socket with 1013 instead of crashing it.
        self.scope = scope
        self.base_send = send
        self.channel_layer = get_channel_layer(self.channel_layer_alias)  # type: ignore[assignment]
        self._layer_lost = False
        sources = [receive]
        if self.channel_layer is not None:
            self.channel_name = await self.channel_layer.new_channel()
            self.channel_receive = functools.partial(  # type: ignore[assignment]
                self.channel_layer.receive, self.channel_name
            )
            sources.append(self._receive_from_layer)
        try:
            await await_many_dispatch(sources, self.dispatch)
        except StopConsumer:
            pass

    async def _receive_from_layer(self) -> dict[str, Any]:
        if self._layer_lost:
            await asyncio.Event().wait()  # reported once; the client's disconnect ends us
        try:
            return await self.channel_receive()  # type: ignore[return-value]
        except (asyncio.CancelledError, StopConsumer):
            raise
        except Exception:
            self._layer_lost = True
            logger.warning(
                "The channel layer failed under an open notifications socket; closing it.",
                exc_info=True,
            )
            return {"type": "live.layer_lost"}

    async def connect(self) -> None:
        self.language = _language_from_scope(self.scope)
        self.frame_times: deque[float] = deque()
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self._refuse(CLOSE_NOT_AUTHENTICATED)
            return
        if self.channel_layer is None:
            await self._refuse(CLOSE_TRY_AGAIN_LATER)
            return
        group_name = user_group_name(user.pk)
        if not await self._join_group(group_name):
            await self._refuse(CLOSE_TRY_AGAIN_LATER)
            return
        self.group_name = group_name
        await self.accept()

    async def _join_group(self, group_name: str) -> bool:
        # Twice, as the chat does: the first command after a Redis restart may fail.
        for attempt in (1, 2):
            try:
                async with asyncio.timeout(chat_settings.CHANNEL_LAYER_TIMEOUT):
                    await self.channel_layer.group_add(group_name, self.channel_name)
            except Exception:
                logger.warning(
                    "A notifications socket could not join %s (attempt %s).",
                    group_name,
                    attempt,
                    exc_info=True,
                )
            else:
                return True
        return False

    async def _refuse(self, code: int) -> None:
        # Accept, then close: a close before accept reaches clients as a bare HTTP 403.
        await self.accept()
        await self.close(code=code)

    async def disconnect(self, code: int) -> None:
        if self.group_name is None:
            return
        try:
            async with asyncio.timeout(chat_settings.CHANNEL_LAYER_TIMEOUT):
                await self.channel_layer.group_discard(self.group_name, self.channel_name)
        except Exception:
            logger.warning("Could not leave the group %s.", self.group_name, exc_info=True)

    # Client frames ------------------------------------------------------------------------

    async def receive(self, text_data=None, bytes_data=None, **kwargs) -> None:
        if self.group_name is None:
            return  # refused: frames that raced the close are ignored
        if not self._allow():
            await self._error("rate_limited", _("Too many frames; slow down."))
            return
        if text_data is None:
            await self._error("binary_not_supported", _("Send JSON text frames, not binary ones."))
            return
        limit = MAX_CLIENT_FRAME_BYTES
        if len(text_data) > limit or len(text_data.encode(errors="replace")) > limit:
            await self._error(
                "frame_too_large",
                _("The frame is too large; the limit is %(limit)s bytes."),
                params={"limit": limit},
            )
            return
        try:
            with translation.override(self.language):
                content = json_loads_strict(text_data)
        except UnreadableJSON as exc:
            await self._error("invalid_json", str(exc))
            return
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong"})
            return
        await self._error("unknown_type", _("Unknown frame type."))

    def _allow(self) -> bool:
        now = time.monotonic()
        times = self.frame_times
        while times and now - times[0] >= chat_settings.RATE_LIMIT_SECONDS:
            times.popleft()
        if len(times) >= chat_settings.RATE_LIMIT_FRAMES:
            return False
        times.append(now)
        return True

    async def _error(self, code: str, detail, *, params: dict | None = None) -> None:
        with translation.override(self.language):
            text = str(detail) % params if params else str(detail)
        await self.send_json({"type": "error", "code": code, "detail": text})

    # Channel layer events -----------------------------------------------------------------

    async def live_event(self, event: dict[str, Any]) -> None:
        await self.send_json(event["frame"])

    async def live_layer_lost(self, event: dict[str, Any]) -> None:
        await self.close(code=CLOSE_TRY_AGAIN_LATER)
