"""Per-user live events: ``ws/notifications/``, one socket per signed-in client.

A front end keeps this socket open to show badges without polling. It carries these frames,
each with absolute values (never a delta), so a lost frame is mended by the next one and a
client that reconnects re-reads the REST API (the database is the source of truth):

- ``{"type": "chat.unread", "appointment": id, "unread": n}``: the user's unread messages in
  that chat, after a message reached it (socket or REST) and after the user read messages on
  any device (so their other devices update too);
- ``{"type": "appointment.updated", "appointment": id, "status": ..., "event": ...}``: one of
  the user's appointments was booked, confirmed, cancelled, rescheduled, completed or marked
  no-show (``event`` is the name of :mod:`psico_scheduling.signals`).
- ``{"type": "waitlist.offered", "waitlist_entry": id, "psychologist": id, "start": ...,
  "end": ..., "expires_at": ...}``: a freed time is held for the user from a professional's
  waiting list (times ISO 8601, UTC), sent once the outbox relay that made the offer commits.

Pushes are best effort: a channel layer that fails is logged and never fails the chat
message, the read receipt or the appointment change that caused the push.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from typing import Any

from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from psico_scheduling.choices import AppointmentEventName

from .broadcasting import group_send_retried
from .selectors import chat_unread_counts
from .sockets import CLOSE_TRY_AGAIN_LATER, LayerSocketConsumer

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
            await group_send_retried(
                layer, user_group_name(user_id), {"type": "live.event", "frame": frame}
            )
        except Exception:
            # The layer is down: the next user's send would only wait and fail the same way.
            logger.warning(
                "Could not push %s of appointment %s to user %s; clients re-read on reconnect.",
                frame["type"],
                frame.get("appointment", frame.get("waitlist_entry")),
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
    await _unread_push(appointment_id, [_event_audience(event)])


def _event_audience(event: dict[str, Any]) -> tuple[str, int]:
    # ("except", sender): every participant but the sender; ("only", user): that user.
    if event.get("type") == "chat.message":
        return ("except", event["sender"])
    return ("only", event["user"]["id"])


async def _unread_push(appointment_id: int, audiences: list[tuple[str, int]]) -> None:
    try:
        counts = await _unread_counts(appointment_id)
        user_ids = [
            user_id
            for user_id in counts
            if any(
                (user_id != someone) if rule == "except" else (user_id == someone)
                for rule, someone in audiences
            )
        ]
        for user_id in user_ids:
            unread = counts[user_id]
            frame = {"type": "chat.unread", "appointment": appointment_id, "unread": unread}
            await user_events_send_async(user_ids=[user_id], frame=frame)
    except Exception:
        logger.warning(
            "Could not push the unread count in the chat of appointment %s.",
            appointment_id,
            exc_info=True,
        )


class _PendingPushes:
    """The coalesced unread pushes of one event loop (one server process), by appointment."""

    def __init__(self) -> None:
        self.audiences: dict[int, set[tuple[str, int]]] = {}
        self.tasks: dict[int, asyncio.Task] = {}


_pending: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _PendingPushes] = (
    weakref.WeakKeyDictionary()
)


# How long a socket's unread push waits for more events of the same chat before it reads.
BADGE_PUSH_DELAY_SECONDS = 0.1


def chat_event_user_push_soon(*, appointment_id: int, event: dict[str, Any]) -> None:
    """:func:`chat_event_user_push_async` in the background, coalesced; for the chat socket.

    The frame carries an absolute count, so a burst of messages needs one push per recipient,
    not one per message: while a push of the appointment waits to read the counts, further
    events only add who gets it. An event that comes once the counts are being read gets
    another read after that one, so the last push always counts every message committed
    before its event. Nothing is awaited by the caller, and nothing raises.
    """
    loop = asyncio.get_running_loop()
    pending = _pending.get(loop)
    if pending is None:
        pending = _pending[loop] = _PendingPushes()
    pending.audiences.setdefault(appointment_id, set()).add(_event_audience(event))
    if appointment_id not in pending.tasks:
        pending.tasks[appointment_id] = loop.create_task(_push_pending(pending, appointment_id))


async def _push_pending(pending: _PendingPushes, appointment_id: int) -> None:
    try:
        # A badge may lag its message a little: the events of the next moments join this push,
        # and the count is read once the messages' own path (store, broadcast) is done.
        await asyncio.sleep(BADGE_PUSH_DELAY_SECONDS)
        while audiences := pending.audiences.pop(appointment_id, None):
            await _unread_push(appointment_id, sorted(audiences))
    finally:
        # No await between the last pop and this: an event after it starts a new task.
        pending.tasks.pop(appointment_id, None)


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


def waitlist_offered_push(sender, *, event, **kwargs) -> None:
    """Receiver of :data:`psico_scheduling.signals.appointment_event_recorded` (connected in
    ``PsicoChatConfig.ready``): ``waitlist.offered`` to the patient a time is held for, once
    the relay's transaction commits (a rolled-back offer pushes nothing). Never raises."""
    if event.name != AppointmentEventName.WAITLIST_OFFERED:
        return
    payload = event.payload
    frame = {
        "type": "waitlist.offered",
        "waitlist_entry": payload.get("waitlist_entry_id"),
        "psychologist": payload.get("psychologist_id"),
        "start": payload.get("start"),
        "end": payload.get("end"),
        "expires_at": payload.get("expires_at"),
    }

    def push() -> None:
        try:
            async_to_sync(user_events_send_async)(user_ids=[payload["patient_id"]], frame=frame)
        except Exception:
            logger.warning("Could not push the waiting list offer %s.", event.pk, exc_info=True)

    transaction.on_commit(push)


# The socket ------------------------------------------------------------------------------


class NotificationsConsumer(LayerSocketConsumer):
    """``ws/notifications/``: the events of the signed-in user (see the module docstring).

    Authenticated like the chat (session, ticket, deprecated token); anonymous → close 4401;
    a channel layer that cannot be joined, or fails under the open socket → close 1013. The
    client sends nothing but ``{"type": "ping"}`` (answered ``{"type": "pong"}``); any other
    frame gets ``{"type": "error", "code", "detail"}`` and the socket stays open. It keeps no
    task or queue of its own: one group membership and a few attributes per socket.
    """

    socket_label = "notifications"
    layer_lost_event = "live.layer_lost"
    # The frames of this socket as site/asyncapi.yaml documents them (see ChatConsumer).
    client_frames = {"ping": "_on_ping"}
    server_frames = frozenset({"pong", "chat.unread", "appointment.updated", "error"})

    async def connect(self) -> None:
        user = await self._authenticated_user()
        if user is None:
            return
        if self.channel_layer is None:
            await self._refuse(CLOSE_TRY_AGAIN_LATER)
            return
        if await self._join(user_group_name(user.pk)):
            await self.accept()

    # Client frames ------------------------------------------------------------------------

    def max_frame_bytes(self) -> int:
        return MAX_CLIENT_FRAME_BYTES

    async def receive_json(self, content: Any, **kwargs) -> None:
        kind = content.get("type") if isinstance(content, dict) else None
        name = self.client_frames.get(kind) if isinstance(kind, str) else None
        if name is None:
            await self._error("unknown_type", _("Unknown frame type."))
            return
        await getattr(self, name)(content)

    async def _on_ping(self, content: dict[str, Any]) -> None:
        await self.send_json({"type": "pong"})

    # Channel layer events -----------------------------------------------------------------

    async def live_event(self, event: dict[str, Any]) -> None:
        await self.send_json(event["frame"])

    async def live_layer_lost(self, event: dict[str, Any]) -> None:
        await self.close_layer_lost()
