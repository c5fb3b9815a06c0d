from __future__ import annotations

from django.core.checks import Error, register
from psico_core.tasks_compat import retry_delays_valid

from .conf import DEFAULTS, scheduling_settings

_NON_NEGATIVE_INTEGERS = (
    "MIN_NOTICE_MINUTES",
    "MAX_DAYS_AHEAD",
    "BUFFER_MINUTES",
    "CANCELLATION_WINDOW_HOURS",
    "DATE_WINDOW_DAYS",
)


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@register()
def check_settings(app_configs, **kwargs):
    """Validates ``PSICO_SCHEDULING`` so that a typo fails at start-up, not at booking time."""
    errors = []
    unknown = set(scheduling_settings.user_settings) - set(DEFAULTS)
    if unknown:
        errors.append(
            Error(
                f"Unknown PSICO_SCHEDULING keys: {', '.join(sorted(unknown))}.",
                hint=f"Valid keys: {', '.join(sorted(DEFAULTS))}.",
                id="psico_scheduling.E001",
            )
        )
    for key in _NON_NEGATIVE_INTEGERS:
        value = getattr(scheduling_settings, key)
        if not _is_int(value) or value < 0:
            errors.append(
                Error(
                    f"PSICO_SCHEDULING[{key!r}] must be a non-negative integer, not {value!r}.",
                    id="psico_scheduling.E002",
                )
            )
    window = scheduling_settings.DATE_WINDOW_DAYS
    if _is_int(window) and not 0 < window <= 36_500:
        errors.append(
            Error(
                "PSICO_SCHEDULING['DATE_WINDOW_DAYS'] must be between 1 and 36500.",
                id="psico_scheduling.E005",
            )
        )
    if scheduling_settings.MAX_DAYS_AHEAD == 0:
        errors.append(
            Error(
                "PSICO_SCHEDULING['MAX_DAYS_AHEAD'] must be at least 1.",
                id="psico_scheduling.E003",
            )
        )
    batch = scheduling_settings.EVENT_RELAY_BATCH_SIZE
    if not _is_int(batch) or batch <= 0:
        errors.append(
            Error(
                f"PSICO_SCHEDULING['EVENT_RELAY_BATCH_SIZE'] must be a positive integer,"
                f" not {batch!r}.",
                id="psico_scheduling.E006",
            )
        )
    delays = scheduling_settings.EVENT_RELAY_RETRY_DELAYS_SECONDS
    if not retry_delays_valid(delays) or not delays:
        errors.append(
            Error(
                "PSICO_SCHEDULING['EVENT_RELAY_RETRY_DELAYS_SECONDS'] must be a non-empty list"
                f" of seconds >= 0, not {delays!r}.",
                id="psico_scheduling.E007",
            )
        )
    step = scheduling_settings.SLOT_STEP_MINUTES
    if step is not None and (not _is_int(step) or step <= 0):
        errors.append(
            Error(
                f"PSICO_SCHEDULING['SLOT_STEP_MINUTES'] must be None or a positive integer,"
                f" not {step!r}.",
                id="psico_scheduling.E004",
            )
        )
    hold = scheduling_settings.WAITLIST_HOLD_MINUTES
    if not _is_int(hold) or not 0 < hold <= 7 * 24 * 60:
        errors.append(
            Error(
                "PSICO_SCHEDULING['WAITLIST_HOLD_MINUTES'] must be a whole number of minutes"
                f" between 1 and 10080 (a week), not {hold!r}.",
                id="psico_scheduling.E008",
            )
        )
    return errors
