"""Namespaced app settings: ``PSICO_<APP> = {...}`` merged over the app's defaults.

Values are read from ``django.conf.settings`` on every access, so ``override_settings``
works without any reload machinery.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings


class AppSettings:
    """Reads one namespaced settings dict, falling back to documented defaults."""

    def __init__(self, setting_name: str, defaults: dict[str, Any]) -> None:
        self.setting_name = setting_name
        self.defaults = defaults

    @property
    def user_settings(self) -> dict[str, Any]:
        return getattr(settings, self.setting_name, None) or {}

    def __getattr__(self, name: str) -> Any:
        if name not in self.defaults:
            raise AttributeError(f"Invalid {self.setting_name} setting: {name!r}")
        return self.user_settings.get(name, self.defaults[name])
