"""pytest plugin (``pytest11`` entry point): Psico scheduling fixtures.

Models are imported inside the fixtures, so loading the plugin never touches Django
before pytest-django has configured it.
"""

from __future__ import annotations

import pytest


@pytest.fixture
def appointment(db, patient, professional):
    """A pending appointment tomorrow between the ``patient`` and ``professional`` fixtures."""
    from .factories import AppointmentFactory

    return AppointmentFactory(patient=patient, psychologist=professional)


@pytest.fixture
def weekly_schedule(db, professional):
    """Gives the ``professional`` fixture active rules Monday to Friday, 08:00–18:00."""
    from .factories import weekly_schedule_for

    return weekly_schedule_for(professional)


@pytest.fixture
def next_monday():
    """The first Monday at least two days after today (site time zone): in the future, in the
    horizon, and more than a day ahead, so that a cancellation of it is never late whatever
    the weekday the suite runs on (on a Sunday the next Monday is less than 24 hours away)."""
    import datetime as dt

    from django.utils import timezone

    from .dates import next_weekday

    return next_weekday(0, today=timezone.localdate() + dt.timedelta(days=1))


@pytest.fixture
def book(db):
    """``book(patient, psychologist, date, "09:00")``: books through the service, the way
    the API does, and returns the appointment."""
    import datetime as dt

    from ..services import appointment_book

    def make(patient, psychologist, date, start_time: str, reason: str = ""):
        return appointment_book(
            patient=patient,
            psychologist=psychologist,
            date=date,
            start_time=dt.time.fromisoformat(start_time),
            reason=reason,
        )

    return make
