"""pytest plugin (``pytest11`` entry point): Psico chat fixtures."""

from __future__ import annotations
