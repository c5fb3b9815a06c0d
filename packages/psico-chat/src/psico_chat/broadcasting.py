"""Delivery of chat events to every open socket of an appointment, over the channel layer."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from .conf import chat_settings

logger = logging.getLogger(__name__)


def chat_group_name(appointment_id: int) -> str:
    """The channel-layer group joined by every socket of the appointment's chat."""
    return f"psico_chat.appointment.{appointment_id}"


async def group_send_retried(layer, group: str, event: dict[str, Any]) -> None:
    """``layer.group_send`` with the layer timeout, tried a second time if the first fails."""
    # Twice: after a Redis restart the first command may run on a pooled connection to the
    # old server; the pool drops it and the second attempt reconnects. A refused connection
    # fails in milliseconds, so an outage costs no real time.
    try:
        async with asyncio.timeout(chat_settings.CHANNEL_LAYER_TIMEOUT):
            await layer.group_send(group, event)
    except Exception:
        async with asyncio.timeout(chat_settings.CHANNEL_LAYER_TIMEOUT):
            await layer.group_send(group, event)


async def chat_broadcast_async(
    *, appointment_id: int, event: dict[str, Any], push_later: bool = False
) -> bool:
    """Send ``event`` to the appointment's sockets; from async code, after the commit.

    A ``chat.message`` or ``chat.read`` event then pushes the new unread count to the
    ``ws/notifications/`` sockets of the user it changed (see :mod:`psico_chat.live`): before
    this returns, or with ``push_later`` (a long-lived event loop: the chat socket's) in the
    background, coalesced with the pushes of the same chat's next events.
    A failure is logged and reported as False, never raised: the event always follows a
    committed write, and clients catch up on stored messages with ``resume``.
    """
    layer = get_channel_layer()
    if layer is None:
        logger.debug("No channel layer configured; %s not broadcast.", event["type"])
        return False
    try:
        await group_send_retried(layer, chat_group_name(appointment_id), event)
    except Exception:
        logger.warning(
            "Could not broadcast %s to the chat of appointment %s; clients will get it on resume.",
            event["type"],
            appointment_id,
            exc_info=True,
        )
        return False
    await _push_user_events(appointment_id=appointment_id, event=event, later=push_later)
    return True


async def chat_broadcast_messages_async(
    *, appointment_id: int, events: list[dict[str, Any]], push_later: bool = False
) -> bool:
    """:func:`chat_broadcast_async` for the ``chat.message`` events of one sender's batch,
    stored in one transaction, in order.

    Two or more go as one ``chat.messages`` event (``{"type": "chat.messages", "events":
    [...]}``): one Redis round trip and one event for each socket to take, however many
    messages, where a burst would otherwise cost one of each per message. The sockets deliver
    them one by one, as if they had come as separate events. (A server of a version before
    this event would close its sockets on it; they reconnect and ``resume``.)
    """
    if len(events) == 1:
        return await chat_broadcast_async(
            appointment_id=appointment_id, event=events[0], push_later=push_later
        )
    layer = get_channel_layer()
    if layer is None:
        logger.debug("No channel layer configured; %s messages not broadcast.", len(events))
        return False
    try:
        await group_send_retried(
            layer, chat_group_name(appointment_id), {"type": "chat.messages", "events": events}
        )
    except Exception:
        logger.warning(
            "Could not broadcast %s messages to the chat of appointment %s; clients will get "
            "them on resume.",
            len(events),
            appointment_id,
            exc_info=True,
        )
        return False
    # The same sender's messages change the same counts: one push for the batch.
    await _push_user_events(appointment_id=appointment_id, event=events[-1], later=push_later)
    return True


async def _push_user_events(*, appointment_id: int, event: dict[str, Any], later: bool) -> None:
    # The badges of ws/notifications/ (psico_chat.live), only once the chat's own broadcast
    # got through: a layer that just failed would only fail again. Imported here because
    # live imports this module.
    from .live import chat_event_user_push_async, chat_event_user_push_soon

    if event["type"] not in ("chat.message", "chat.read"):
        return
    if later:
        chat_event_user_push_soon(appointment_id=appointment_id, event=event)
    else:
        await chat_event_user_push_async(appointment_id=appointment_id, event=event)


def chat_broadcast(*, appointment_id: int, event: dict[str, Any]) -> bool:
    """:func:`chat_broadcast_async` for sync code (REST views, services' ``on_commit``).

    Never call it inside ``database_sync_to_async``: that thread serves every socket of the
    process, and all of them would wait behind this Redis round trip.
    """
    return async_to_sync(chat_broadcast_async)(appointment_id=appointment_id, event=event)
