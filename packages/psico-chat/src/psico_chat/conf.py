"""Namespaced app settings: ``PSICO_CHAT = {...}`` merged over :data:`DEFAULTS`.

Values are read from ``django.conf.settings`` on every access, so ``override_settings``
works without any reload machinery.
"""

from __future__ import annotations

from typing import Any

from psico_core.conf import AppSettings
from psico_scheduling.choices import AppointmentStatus

# The database column's ceiling; MAX_MESSAGE_LENGTH may be lowered below it, never raised above.
CONTENT_MAX_LENGTH = 10_000

DEFAULTS: dict[str, Any] = {
    # Longest accepted message, in characters (at most CONTENT_MAX_LENGTH).
    "MAX_MESSAGE_LENGTH": 2000,
    # Largest WebSocket text frame read, in bytes; bigger frames get an error frame.
    "MAX_FRAME_BYTES": 32 * 1024,
    # Most messages returned by one history page (socket ``history`` and REST GET).
    "HISTORY_PAGE_SIZE": 50,
    # At most RATE_LIMIT_MESSAGES messages per user and appointment (all their sockets and
    # REST together, counted in the shared cache), and RATE_LIMIT_FRAMES frames of any kind
    # per socket, within RATE_LIMIT_SECONDS.
    "RATE_LIMIT_MESSAGES": 20,
    "RATE_LIMIT_FRAMES": 120,
    "RATE_LIMIT_SECONDS": 10,
    # The chat of an appointment is open from booking until this many days after the
    # session ends; None keeps it open for good.
    "OPEN_DAYS_AFTER_SESSION": 7,
    # Appointment statuses whose chat is closed whatever the date.
    "CLOSED_STATUSES": [AppointmentStatus.CANCELLED],
    # Lifetime of a single-use socket ticket (POST /api/chat/ticket/), in seconds.
    "TICKET_TTL_SECONDS": 60,
    # Most socket tickets one user may get per minute.
    "TICKET_RATE_LIMIT": 30,
    # Longest wait for the channel layer when broadcasting or checking health, in seconds.
    "CHANNEL_LAYER_TIMEOUT": 2.0,
}

chat_settings = AppSettings("PSICO_CHAT", DEFAULTS)
