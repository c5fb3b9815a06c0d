"""Throttles for the anonymous account endpoints (login, registration, password reset).

Each has a DRF scope whose rate comes from ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` when the
host sets it, else from PSICO_ACCOUNTS, so that a host without throttle settings still
throttles instead of failing with ImproperlyConfigured.
"""

from __future__ import annotations

from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from .conf import accounts_settings


class AccountsRateThrottle(SimpleRateThrottle):
    """Counts requests per client address (per user once authenticated) within ``scope``."""

    rate_setting: str = ""

    def get_rate(self) -> str | None:
        # DRF's own lookup reads a class attribute frozen at import time, which would ignore
        # override_settings and settings changed after start-up.
        rates = api_settings.DEFAULT_THROTTLE_RATES or {}
        if self.scope in rates:
            return rates[self.scope]
        return getattr(accounts_settings, self.rate_setting)

    def get_cache_key(self, request, view) -> str:
        if request.user and request.user.is_authenticated:
            ident = request.user.pk
        else:
            ident = self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}


class LoginRateThrottle(AccountsRateThrottle):
    scope = "login"
    rate_setting = "LOGIN_THROTTLE_RATE"


class RegisterRateThrottle(AccountsRateThrottle):
    scope = "register"
    rate_setting = "REGISTER_THROTTLE_RATE"


class PasswordResetRateThrottle(AccountsRateThrottle):
    scope = "password_reset"
    rate_setting = "PASSWORD_RESET_THROTTLE_RATE"
