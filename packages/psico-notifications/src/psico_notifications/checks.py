from __future__ import annotations

import ipaddress

from django.core.checks import Error, register
from psico_core.tasks_compat import retry_delays_valid

from .conf import DEFAULTS, notifications_settings


@register()
def check_settings(app_configs, **kwargs):
    """Validates ``PSICO_NOTIFICATIONS`` so that a typo fails at start-up, not in the worker."""
    errors = []
    unknown = set(notifications_settings.user_settings) - set(DEFAULTS)
    if unknown:
        errors.append(
            Error(
                f"Unknown PSICO_NOTIFICATIONS keys: {', '.join(sorted(unknown))}.",
                hint=f"Valid keys: {', '.join(sorted(DEFAULTS))}.",
                id="psico_notifications.E001",
            )
        )
    url = notifications_settings.FRONTEND_URL
    if url is not None and (
        not isinstance(url, str) or not url.startswith(("https://", "http://"))
    ):
        errors.append(
            Error(
                f"PSICO_NOTIFICATIONS['FRONTEND_URL'] must be None or an http(s) URL, not {url!r}.",
                id="psico_notifications.E002",
            )
        )
    path = notifications_settings.APPOINTMENT_URL_PATH
    try:
        path.format(appointment_id=1)
    except (AttributeError, KeyError, IndexError, ValueError):
        errors.append(
            Error(
                "PSICO_NOTIFICATIONS['APPOINTMENT_URL_PATH'] must be a text whose only "
                f"placeholder is {{appointment_id}}, not {path!r}.",
                id="psico_notifications.E003",
            )
        )
    if not retry_delays_valid(notifications_settings.EMAIL_RETRY_DELAYS_SECONDS):
        errors.append(
            Error(
                "PSICO_NOTIFICATIONS['EMAIL_RETRY_DELAYS_SECONDS'] must be a list of seconds >= 0.",
                id="psico_notifications.E004",
            )
        )
    offsets = notifications_settings.REMINDER_OFFSETS_MINUTES
    if not reminder_offsets_valid(offsets):
        errors.append(
            Error(
                "PSICO_NOTIFICATIONS['REMINDER_OFFSETS_MINUTES'] must be a list of distinct "
                f"whole numbers of minutes > 0, not {offsets!r}.",
                hint="For example (1440, 120): a day and two hours before the start.",
                id="psico_notifications.E005",
            )
        )
    errors.extend(_calendar_feed_errors())
    return errors


def _calendar_feed_errors() -> list[Error]:
    errors = []
    for key, minimum in (
        ("CALENDAR_FEED_DAYS_BACK", 0),
        ("CALENDAR_FEED_DAYS_AHEAD", 1),
        ("CALENDAR_FEED_REFRESH_MINUTES", 1),
    ):
        value = getattr(notifications_settings, key)
        if not isinstance(value, int) or isinstance(value, bool) or not minimum <= value <= 36_500:
            errors.append(
                Error(
                    f"PSICO_NOTIFICATIONS[{key!r}] must be a whole number from {minimum} to "
                    f"36500, not {value!r}.",
                    id="psico_notifications.E006",
                )
            )
    rate = notifications_settings.CALENDAR_FEED_THROTTLE_RATE
    if rate is not None and not _rate_valid(rate):
        errors.append(
            Error(
                "PSICO_NOTIFICATIONS['CALENDAR_FEED_THROTTLE_RATE'] must be None or DRF's "
                f'"number/period" (e.g. "120/hour"), not {rate!r}.',
                id="psico_notifications.E006",
            )
        )
    base = notifications_settings.CALENDAR_FEED_BASE_URL
    if base is not None and not (
        isinstance(base, str) and base.startswith(("https://", "http://")) and "?" not in base
    ):
        errors.append(
            Error(
                "PSICO_NOTIFICATIONS['CALENDAR_FEED_BASE_URL'] must be None or an http(s) "
                f"address such as 'https://api.example.com', not {base!r}.",
                id="psico_notifications.E006",
            )
        )
    return errors


def _rate_valid(rate: object) -> bool:
    if not isinstance(rate, str) or rate.count("/") != 1:
        return False
    number, period = rate.split("/")
    return number.isascii() and number.isdigit() and period[:1] in ("s", "m", "h", "d")


def reminder_offsets_valid(offsets: object) -> bool:
    """Whether ``offsets`` is a list (or tuple) of distinct positive whole minutes."""
    return (
        isinstance(offsets, (list, tuple))
        and all(
            isinstance(offset, int) and not isinstance(offset, bool) and offset > 0
            for offset in offsets
        )
        and len(set(offsets)) == len(offsets)
    )


def _is_count(value, *, minimum: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= minimum


@register()
def check_webhook_settings(app_configs, **kwargs):
    """Validates the ``WEBHOOK_*`` keys of ``PSICO_NOTIFICATIONS``."""
    errors = []
    networks = notifications_settings.WEBHOOK_ALLOWED_NETWORKS
    valid_networks = isinstance(networks, (list, tuple)) and all(
        isinstance(network, str) for network in networks
    )
    if valid_networks:
        try:
            for network in networks:
                ipaddress.ip_network(network, strict=False)
        except ValueError:
            valid_networks = False
    if not valid_networks:
        errors.append(
            Error(
                "PSICO_NOTIFICATIONS['WEBHOOK_ALLOWED_NETWORKS'] must be a list of networks "
                f"in CIDR notation (e.g. '127.0.0.1/32'), not {networks!r}.",
                id="psico_notifications.E101",
            )
        )
    ports = notifications_settings.WEBHOOK_ALLOWED_PORTS
    if ports is not None and not (
        isinstance(ports, (list, tuple))
        and ports
        and all(_is_count(port, minimum=1) and port <= 65535 for port in ports)
    ):
        errors.append(
            Error(
                "PSICO_NOTIFICATIONS['WEBHOOK_ALLOWED_PORTS'] must be None or a list of ports "
                f"(1-65535), not {ports!r}.",
                id="psico_notifications.E102",
            )
        )
    timeout = notifications_settings.WEBHOOK_TIMEOUT_SECONDS
    if not (
        isinstance(timeout, (int, float)) and not isinstance(timeout, bool) and 0 < timeout <= 60
    ):
        errors.append(
            Error(
                "PSICO_NOTIFICATIONS['WEBHOOK_TIMEOUT_SECONDS'] must be a number of seconds "
                f"above 0 and at most 60, not {timeout!r}.",
                id="psico_notifications.E103",
            )
        )
    if not retry_delays_valid(notifications_settings.WEBHOOK_RETRY_DELAYS_SECONDS):
        errors.append(
            Error(
                "PSICO_NOTIFICATIONS['WEBHOOK_RETRY_DELAYS_SECONDS'] must be a list of "
                "seconds >= 0.",
                id="psico_notifications.E104",
            )
        )
    if not _is_count(notifications_settings.WEBHOOK_DISABLE_AFTER_FAILURES, minimum=1):
        errors.append(
            Error(
                "PSICO_NOTIFICATIONS['WEBHOOK_DISABLE_AFTER_FAILURES'] must be an integer >= 1.",
                id="psico_notifications.E105",
            )
        )
    return errors
