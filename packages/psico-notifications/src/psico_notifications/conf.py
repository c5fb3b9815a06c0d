"""App settings: ``PSICO_NOTIFICATIONS = {...}`` merged over :data:`DEFAULTS`
(read live through :class:`psico_core.conf.AppSettings`)."""

from __future__ import annotations

from typing import Any

from psico_core.conf import AppSettings

DEFAULTS: dict[str, Any] = {
    # The front end's address, e.g. "https://app.example.com". With it, the email that tells
    # a professional about a new booking links to the appointment (APPOINTMENT_URL_PATH);
    # None sends the email without a link.
    "FRONTEND_URL": None,
    # Path of an appointment in the front end, after FRONTEND_URL; {appointment_id} is filled in.
    "APPOINTMENT_URL_PATH": "/appointments/{appointment_id}",
    # Sender of the appointment emails; None uses Django's DEFAULT_FROM_EMAIL.
    "FROM_EMAIL": None,
    # Seconds to wait before each new attempt at an email the mail server did not take; when
    # they are spent the task fails with its traceback (about eleven hours by default).
    "EMAIL_RETRY_DELAYS_SECONDS": (60, 300, 1800, 3600, 3 * 3600, 6 * 3600),
    # Right-hand side of the calendar invitations' UIDs ("appointment-42@<domain>"): keep it
    # fixed once invitations went out, or calendars see new events. None: the domain of
    # DEFAULT_FROM_EMAIL.
    "CALENDAR_UID_DOMAIN": None,
    # Minutes before an appointment's start at which both participants are reminded of it
    # (24 hours and 2 hours by default); an empty list sends no reminders.
    "REMINDER_OFFSETS_MINUTES": (1440, 120),
}

notifications_settings = AppSettings("PSICO_NOTIFICATIONS", DEFAULTS)
