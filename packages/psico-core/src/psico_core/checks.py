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
