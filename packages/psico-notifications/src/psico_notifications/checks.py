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
    return errors


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
