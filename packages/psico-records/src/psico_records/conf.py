"""App settings: ``PSICO_RECORDS = {...}`` merged over :data:`DEFAULTS`
(read live through :class:`psico_core.conf.AppSettings`)."""

from __future__ import annotations

from typing import Any

from psico_core.conf import AppSettings

DEFAULTS: dict[str, Any] = {
    # Longest clinical note, in characters (the sealed token is about a third longer).
    "MAX_NOTE_LENGTH": 10_000,
}

records_settings = AppSettings("PSICO_RECORDS", DEFAULTS)
