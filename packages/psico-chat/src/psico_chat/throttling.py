"""How many chat messages a user may send to one appointment, counted across processes.

One budget per user and appointment, shared by every socket of that user and by the REST
POST: opening more sockets buys no more messages. The counter lives in the shared cache
(through :data:`~psico_core.resilient_cache.resilient_cache`, so a cache outage counts in
process memory instead of failing the request) in fixed windows of ``RATE_LIMIT_SECONDS``.
"""

from __future__ import annotations

import math
import time

from psico_core.resilient_cache import ResilientCache, resilient_cache
from rest_framework.throttling import BaseThrottle

from .conf import chat_settings


def _counter_key(*, scope: str, parts: tuple, window: int) -> str:
    return ":".join(["psico_chat", scope, *map(str, parts), str(window)])


def _take(
    *, scope: str, parts: tuple, limit: int, seconds: int, cache: ResilientCache, count: int = 1
) -> list[bool]:
    """Count ``count`` actions at once; for each, in order, whether it is within ``limit``."""
    # Wall-clock windows, so every process agrees on which window a message falls in.
    window = int(time.time() // seconds)
    key = _counter_key(scope=scope, parts=parts, window=window)
    # The key outlives its window a little: a late incr must not recreate it without a timeout.
    total = cache.count(key, count, seconds * 2)
    # The same answers as ``count`` takes of one each: the counter went past them in order.
    first = total - count + 1
    return [number <= limit for number in range(first, total + 1)]


def _seconds_left_in_window(seconds: int) -> float:
    return seconds - (time.time() % seconds)


def message_budget_take(*, user_id: int, appointment_id: int, cache=resilient_cache) -> bool:
    """Count one message of ``user_id`` in ``appointment_id``'s chat; False when over
    ``RATE_LIMIT_MESSAGES`` within the current ``RATE_LIMIT_SECONDS`` window."""
    return message_budget_take_many(
        user_id=user_id, appointment_id=appointment_id, count=1, cache=cache
    )[0]


def message_budget_take_many(
    *, user_id: int, appointment_id: int, count: int, cache=resilient_cache
) -> list[bool]:
    """:func:`message_budget_take` for ``count`` messages at once (one cache round trip on
    Redis): for each, in order, whether it is within the budget. The counter grows by
    ``count`` whatever the answers, as it would by ``count`` single takes."""
    return _take(
        scope="messages",
        parts=(appointment_id, user_id),
        limit=chat_settings.RATE_LIMIT_MESSAGES,
        seconds=chat_settings.RATE_LIMIT_SECONDS,
        cache=cache,
        count=count,
    )


def ticket_budget_take(*, user_id: int, cache=resilient_cache) -> bool:
    """Count one socket ticket issued to ``user_id``; False when over ``TICKET_RATE_LIMIT``
    within the current minute."""
    return _take(
        scope="tickets",
        parts=(user_id,),
        limit=chat_settings.TICKET_RATE_LIMIT,
        seconds=60,
        cache=cache,
    )[0]


class ChatMessageRateThrottle(BaseThrottle):
    """REST side of :func:`message_budget_take`: the same budget as the user's sockets in the
    appointment named by the URL (429 once it is spent)."""

    def allow_request(self, request, view) -> bool:
        appointment_id = view.kwargs.get("appointment_id")
        if not request.user.is_authenticated or appointment_id is None:
            return True  # authentication and routing answer these
        return message_budget_take(user_id=request.user.pk, appointment_id=appointment_id)

    def wait(self) -> float:
        return math.ceil(_seconds_left_in_window(chat_settings.RATE_LIMIT_SECONDS))


class ChatTicketRateThrottle(BaseThrottle):
    """At most ``TICKET_RATE_LIMIT`` socket tickets per user and minute."""

    def allow_request(self, request, view) -> bool:
        if not request.user.is_authenticated:
            return True
        return ticket_budget_take(user_id=request.user.pk)

    def wait(self) -> float:
        return math.ceil(_seconds_left_in_window(60))
