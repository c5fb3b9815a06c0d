"""Dates relative to today, so that tests never depend on the day they run."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone


def next_weekday(weekday: int, *, weeks_ahead: int = 0, today: dt.date | None = None) -> dt.date:
    """The next ``weekday`` (0 = Monday) strictly after today (site time zone), plus
    ``weeks_ahead`` weeks."""
    today = today or timezone.localdate()
    days = (weekday - today.weekday()) % 7 or 7
    return today + dt.timedelta(days=days + 7 * weeks_ahead)
