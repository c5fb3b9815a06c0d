from __future__ import annotations

from django.core.checks import Error, register

from .conf import DEFAULTS, records_settings


@register()
def check_settings(app_configs, **kwargs):
    """Validates ``PSICO_RECORDS`` so that a typo fails at start-up."""
    errors = []
    unknown = set(records_settings.user_settings) - set(DEFAULTS)
    if unknown:
        errors.append(
            Error(
                f"Unknown PSICO_RECORDS keys: {', '.join(sorted(unknown))}.",
                hint=f"Valid keys: {', '.join(sorted(DEFAULTS))}.",
                id="psico_records.E001",
            )
        )
    limit = records_settings.MAX_NOTE_LENGTH
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= 1_000_000:
        errors.append(
            Error(
                "PSICO_RECORDS['MAX_NOTE_LENGTH'] must be a whole number of characters from 1 "
                f"to 1000000, not {limit!r}.",
                id="psico_records.E002",
            )
        )
    return errors
