from __future__ import annotations

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
