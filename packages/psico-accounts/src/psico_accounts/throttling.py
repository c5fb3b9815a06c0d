"""Throttles for the anonymous account endpoints (login, registration, password reset).

Each has a DRF scope whose rate comes from ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` when the
host sets it, else from PSICO_ACCOUNTS, so that a host without throttle settings still
throttles. Clients are counted by their connection's address
(:class:`psico_core.throttling.RemoteAddressRateThrottle`), never by ``X-Forwarded-For``.
"""

from __future__ import annotations

from psico_core.throttling import RemoteAddressRateThrottle

from .conf import accounts_settings


class AccountsRateThrottle(RemoteAddressRateThrottle):
    """A scope whose default rate is the PSICO_ACCOUNTS setting named ``rate_setting``."""

    rate_setting: str = ""

    def default_rate(self) -> str | None:
        return getattr(accounts_settings, self.rate_setting)


class LoginRateThrottle(AccountsRateThrottle):
    scope = "login"
    rate_setting = "LOGIN_THROTTLE_RATE"


class RegisterRateThrottle(AccountsRateThrottle):
    scope = "register"
    rate_setting = "REGISTER_THROTTLE_RATE"


class PasswordResetRateThrottle(AccountsRateThrottle):
    scope = "password_reset"
    rate_setting = "PASSWORD_RESET_THROTTLE_RATE"


class EmailVerificationRateThrottle(AccountsRateThrottle):
    scope = "email_verification"
    rate_setting = "EMAIL_VERIFICATION_THROTTLE_RATE"
