import os

from django.conf import settings
from django.core import checks
from django.core.checks import Error, Tags, register
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from psico_core.tasks_compat import retry_delays_valid

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
    if not retry_delays_valid(accounts_settings.EMAIL_RETRY_DELAYS_SECONDS):
        errors.append(
            Error(
                'PSICO_ACCOUNTS["EMAIL_RETRY_DELAYS_SECONDS"] must be a list of seconds >= 0.',
                id="psico_accounts.E006",
            )
        )
    ttl = accounts_settings.TOKEN_TTL
    if isinstance(ttl, bool) or not isinstance(ttl, int) or ttl < 60:
        errors.append(
            Error(
                'PSICO_ACCOUNTS["TOKEN_TTL"] must be a number of seconds, at least 60.',
                id="psico_accounts.E007",
            )
        )
    link_ttl = accounts_settings.EXPORT_LINK_TTL
    if isinstance(link_ttl, bool) or not isinstance(link_ttl, int) or link_ttl < 60:
        errors.append(
            Error(
                'PSICO_ACCOUNTS["EXPORT_LINK_TTL"] must be a number of seconds, at least 60.',
                id="psico_accounts.E010",
            )
        )
    if not isinstance(accounts_settings.REQUIRE_ADMIN_TOTP, bool):
        errors.append(
            Error(
                'PSICO_ACCOUNTS["REQUIRE_ADMIN_TOTP"] must be True or False.',
                id="psico_accounts.E009",
            )
        )
    if not isinstance(accounts_settings.REQUIRE_VERIFIED_EMAIL_TO_BOOK, bool):
        errors.append(
            Error(
                'PSICO_ACCOUNTS["REQUIRE_VERIFIED_EMAIL_TO_BOOK"] must be True or False.',
                id="psico_accounts.E008",
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


@register()
def check_throttle_rates(app_configs, **kwargs):
    errors = []
    for key in (
        "LOGIN_THROTTLE_RATE",
        "REGISTER_THROTTLE_RATE",
        "PASSWORD_RESET_THROTTLE_RATE",
        "EMAIL_VERIFICATION_THROTTLE_RATE",
    ):
        rate = getattr(accounts_settings, key)
        if rate is None:
            continue
        num, _, period = str(rate).partition("/")
        if not num.isdigit() or not period or period[0] not in "smhd":
            errors.append(
                Error(
                    f'PSICO_ACCOUNTS["{key}"] must look like "10/min" (s, m, h or d), '
                    f"not {rate!r}.",
                    id="psico_accounts.E004",
                )
            )
    return errors


@register(Tags.templates)
def check_reset_email_template(app_configs, **kwargs):
    # Django's admin ships a template with the same name that links to a URL the API does
    # not define; whichever app comes first in INSTALLED_APPS wins.
    try:
        template = get_template("registration/password_reset_email.html")
    except TemplateDoesNotExist:
        return [
            checks.Warning(
                "The password reset email template is not found: enable APP_DIRS in TEMPLATES.",
                id="psico_accounts.W001",
            )
        ]
    origin = str(getattr(getattr(template, "origin", None), "name", ""))
    if os.path.join("django", "contrib", "admin") in origin:
        return [
            checks.Warning(
                "Password reset emails would use Django admin's template.",
                hint='List "psico_accounts" before "django.contrib.admin" in INSTALLED_APPS.',
                id="psico_accounts.W002",
            )
        ]
    return []


PROCESS_LOCAL_CACHES = {
    "django.core.cache.backends.locmem.LocMemCache": "keeps a separate count in each process",
    "django.core.cache.backends.dummy.DummyCache": "never counts",
}


@register(Tags.caches, deploy=True)
def check_throttle_cache(app_configs, **kwargs):
    # The login, registration and password reset throttles count in the default cache; with
    # a count per process, N worker processes let through N times the rate.
    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    if settings.DEBUG or backend not in PROCESS_LOCAL_CACHES:
        return []
    return [
        Error(
            f"The account throttles count in the default cache, and {backend} "
            f"{PROCESS_LOCAL_CACHES[backend]}.",
            hint=(
                "Point the default cache at one every process shares (e.g. Redis); when a "
                "single process serves the site, add psico_accounts.E005 to "
                "SILENCED_SYSTEM_CHECKS."
            ),
            id="psico_accounts.E005",
        )
    ]
