"""App settings: ``PSICO_ACCOUNTS = {...}`` merged over :data:`DEFAULTS`
(read live through :class:`psico_core.conf.AppSettings`)."""

from __future__ import annotations

from typing import Any

from psico_core.conf import AppSettings

DEFAULTS: dict[str, Any] = {
    # Largest accepted profile picture, in bytes.
    "PROFILE_PICTURE_MAX_BYTES": 2 * 1024 * 1024,
    # Image formats (as Pillow names them) accepted for profile pictures.
    "PROFILE_PICTURE_FORMATS": ("JPEG", "PNG", "WEBP", "GIF"),
    # Bounds for a professional's session length, in minutes.
    "SESSION_DURATION_DEFAULT": 60,
    "SESSION_DURATION_MIN": 15,
    "SESSION_DURATION_MAX": 240,
    # Link put in the password reset email; ``{uid}`` and ``{token}`` are filled in, e.g.
    # "https://app.example.com/reset/{uid}/{token}". None means "send the uid and token only"
    # (the front end builds its own link).
    "PASSWORD_RESET_URL": None,
    # Sender of the password reset email; None uses Django's DEFAULT_FROM_EMAIL.
    "PASSWORD_RESET_FROM_EMAIL": None,
    # Seconds to wait before each new attempt at an email the mail server did not take (SMTP
    # down, a refused message); when they are spent the task fails with its traceback. The
    # default retries for about eleven hours.
    "EMAIL_RETRY_DELAYS_SECONDS": (60, 300, 1800, 3600, 3 * 3600, 6 * 3600),
    # Name of the practice, as shown in emails.
    "SITE_NAME": "Psico",
    # Throttle rates used when REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] has no entry for the
    # scope ("login", "register", "password_reset"), so a host that sets none still throttles.
    "LOGIN_THROTTLE_RATE": "10/min",
    "REGISTER_THROTTLE_RATE": "20/hour",
    "PASSWORD_RESET_THROTTLE_RATE": "5/hour",
    # Seconds an API token lives after its last use (sliding renewal): 30 days.
    "TOKEN_TTL": 30 * 24 * 3600,
    # Link put in the verification email; ``{uid}`` and ``{token}`` are filled in, as in
    # PASSWORD_RESET_URL. None sends the uid and token only.
    "EMAIL_VERIFICATION_URL": None,
    # Whether a patient may book before verifying their email address.
    "REQUIRE_VERIFIED_EMAIL_TO_BOOK": False,
    # Whether clinic administrators must sign in to the API with a TOTP code (an
    # authenticator app) besides their password. Turn it on once they have set it up
    # (POST auth/totp/setup/, then auth/totp/confirm/): until then they cannot sign in.
    "REQUIRE_ADMIN_TOTP": False,
    # Seconds the emailed link to a personal data export works (once): 7 days.
    "EXPORT_LINK_TTL": 7 * 24 * 3600,
    # Rate of the "email_verification" scope (resending the verification email).
    "EMAIL_VERIFICATION_THROTTLE_RATE": "5/hour",
}

accounts_settings = AppSettings("PSICO_ACCOUNTS", DEFAULTS)
