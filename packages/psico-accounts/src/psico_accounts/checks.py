from django.conf import settings
from django.core.checks import Error, register

from .conf import DEFAULTS, accounts_settings


@register()
def check_settings(app_configs, **kwargs):
    errors = []
    unknown = set(accounts_settings.user_settings) - set(DEFAULTS)
    if unknown:
        errors.append(
            Error(
                f"Unknown PSICO_ACCOUNTS keys: {', '.join(sorted(unknown))}.",
                id="psico_accounts.E001",
            )
        )
    low, high = accounts_settings.SESSION_DURATION_MIN, accounts_settings.SESSION_DURATION_MAX
    if not 0 < low <= accounts_settings.SESSION_DURATION_DEFAULT <= high:
        errors.append(
            Error(
                "PSICO_ACCOUNTS needs 0 < SESSION_DURATION_MIN <= SESSION_DURATION_DEFAULT"
                " <= SESSION_DURATION_MAX.",
                id="psico_accounts.E002",
            )
        )
    if getattr(settings, "AUTH_USER_MODEL", "") != "psico_accounts.User":
        errors.append(
            Error(
                'psico_accounts needs AUTH_USER_MODEL = "psico_accounts.User".',
                id="psico_accounts.E003",
            )
        )
    return errors
