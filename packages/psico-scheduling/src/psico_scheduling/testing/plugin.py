"""pytest plugin (``pytest11`` entry point): Psico scheduling fixtures."""

from __future__ import annotations

import pytest


@pytest.fixture
def appointment(db, patient, professional):
    """A pending appointment tomorrow between the ``patient`` and ``professional`` fixtures."""
    from .factories import AppointmentFactory

    return AppointmentFactory(patient=patient, psychologist=professional)
