"""pytest plugin (``pytest11`` entry point): psico-records fixtures.

Models are imported inside the fixtures, so loading the plugin never touches Django
before pytest-django has configured it.
"""

from __future__ import annotations

import pytest


@pytest.fixture
def clinical_note(db, appointment):
    """A note by the ``professional`` fixture on the ``appointment`` fixture."""
    from .factories import ClinicalNoteFactory

    return ClinicalNoteFactory(appointment=appointment)
