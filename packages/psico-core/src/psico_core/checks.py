"""System checks of the host's REST framework settings that the Psico APIs rely on."""

from __future__ import annotations

from django.core.checks import Error, register
from rest_framework.settings import api_settings

from .errors import EXCEPTION_HANDLER, exception_handler


@register()
def check_exception_handler(app_configs, **kwargs):
    # Without the handler a service's refusal (Django's ValidationError) is a 500, not a 400.
    if api_settings.EXCEPTION_HANDLER is exception_handler:
        return []
    return [
        Error(
            "The Psico APIs answer service errors through their exception handler, and "
            'REST_FRAMEWORK["EXCEPTION_HANDLER"] is another one: a refused request would be '
            "a 500.",
            hint=(
                f'Set REST_FRAMEWORK["EXCEPTION_HANDLER"] = "{EXCEPTION_HANDLER}", or call it '
                "from your own handler and add psico_core.E001 to SILENCED_SYSTEM_CHECKS."
            ),
            id="psico_core.E001",
        )
    ]


@register()
def check_sealing_keys(app_configs, **kwargs):
    # Sealed fields fall back to a publicly known development key; a production site must
    # refuse to start with it, or the "encrypted" data would open for anyone.
    from django.conf import settings

    from .sealing import SETTING, configured_keys, keys_error

    keys = configured_keys()
    problem = keys_error(keys)
    if problem:
        return [Error(f"{SETTING}: {problem}.", id="psico_core.E003")]
    if not keys and not settings.DEBUG:
        return [
            Error(
                f"{SETTING} is empty and DEBUG is false: sealed data (clinical notes, chat "
                "messages) would be encrypted with the public development key.",
                hint=(
                    "Generate a key with `python -c 'from cryptography.fernet import Fernet; "
                    f"print(Fernet.generate_key().decode())'` and set {SETTING} = [key]."
                ),
                id="psico_core.E002",
            )
        ]
    return []
