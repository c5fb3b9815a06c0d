"""Namespaced app settings: ``PSICO_SCHEDULING = {...}`` merged over :data:`DEFAULTS`.

Values are read from ``django.conf.settings`` on every access, so ``override_settings``
works without any reload machinery.
"""

from __future__ import annotations

from typing import Any

from psico_core.conf import AppSettings

DEFAULTS: dict[str, Any] = {
    # A booking must start at least this many minutes from now (0: any future start).
    "MIN_NOTICE_MINUTES": 0,
    # Furthest bookable day, counted in days from today in the professional's time zone.
    "MAX_DAYS_AHEAD": 90,
    # Free minutes kept before and after every active appointment of a professional.
    "BUFFER_MINUTES": 0,
    # A cancellation less than this many hours before the start is marked late.
    "CANCELLATION_WINDOW_HOURS": 24,
    # Distance between consecutive slot starts, from the start of each weekly rule.
    # None: the professional's session_duration (back-to-back sessions).
    "SLOT_STEP_MINUTES": None,
    # Dates sent to the API (slots, search, bookings, blocked dates, list filters) must lie
    # within this many days of today; further ones are refused before any date arithmetic
    # (9999-12-31 plus a day overflows). Bookings are further bound by MAX_DAYS_AHEAD.
    "DATE_WINDOW_DAYS": 3660,
    # How many outbox events (AppointmentEvent) one relay transaction locks and sends at once.
    "EVENT_RELAY_BATCH_SIZE": 100,
    # Seconds before the relay runs again after a receiver raised on an event, by the event's
    # count of failed relays (the last delay repeats: an event is never given up).
    "EVENT_RELAY_RETRY_DELAYS_SECONDS": (30, 120, 600, 3600),
    # Minutes a time freed by a cancellation or a move is held for the first patient of the
    # waiting list before it is offered to the next one.
    "WAITLIST_HOLD_MINUTES": 30,
}

scheduling_settings = AppSettings("PSICO_SCHEDULING", DEFAULTS)
