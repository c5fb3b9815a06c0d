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
    # Calendar feeds (/api/calendar/<secret>.ics): the appointments that end at most this many
    # days ago and start at most this many days ahead.
    "CALENDAR_FEED_DAYS_BACK": 30,
    "CALENDAR_FEED_DAYS_AHEAD": 365,
    # How often a calendar app should fetch the feed again (REFRESH-INTERVAL, X-PUBLISHED-TTL).
    "CALENDAR_FEED_REFRESH_MINUTES": 60,
    # Fetches of one feed allowed per period (DRF's "number/period"); None: no limit. The
    # host's REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["calendar_feed"] wins when it is set.
    "CALENDAR_FEED_THROTTLE_RATE": "120/hour",
    # Scheme and host of the feed URLs, e.g. "https://api.example.com"; None: those of the
    # request that asks for the URL.
    "CALENDAR_FEED_BASE_URL": None,
    # Webhooks. Networks (CIDRs, e.g. "10.0.0.0/8") that webhooks may be sent to although their
    # addresses are loopback, private, link-local or reserved; empty: none of them.
    "WEBHOOK_ALLOWED_NETWORKS": [],
    # Ports a webhook URL may name; None: any port.
    "WEBHOOK_ALLOWED_PORTS": [80, 443, 8080, 8443],
    # Seconds an attempt may take in all (resolving aside): connecting, sending, the answer.
    "WEBHOOK_TIMEOUT_SECONDS": 5,
    # Seconds to wait before each new attempt at a message the endpoint did not take (2xx);
    # when they are spent the message has failed (about seven hours by default).
    "WEBHOOK_RETRY_DELAYS_SECONDS": (30, 120, 600, 3600, 2 * 3600, 4 * 3600),
    # Failed messages in a row (each after every retry) that disable an endpoint; a message
    # delivered resets the count.
    "WEBHOOK_DISABLE_AFTER_FAILURES": 5,
}

notifications_settings = AppSettings("PSICO_NOTIFICATIONS", DEFAULTS)
