"""factory-boy factories for every psico_scheduling model.

``AppointmentFactory`` writes straight to the table, skipping the booking rules: use it for
history and fixtures; use :func:`psico_scheduling.services.appointment_book` to test rules.
"""

from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory
from psico_accounts.testing.factories import PatientFactory, ProfessionalFactory

from ..models import Appointment, AppointmentStatus, BlockedDate, WeeklyAvailability


def _next_full_hour(days_ahead: int = 1) -> dt.datetime:
    moment = timezone.now() + dt.timedelta(days=days_ahead)
    return moment.replace(minute=0, second=0, microsecond=0)


class WeeklyAvailabilityFactory(DjangoModelFactory):
    class Meta:
        model = WeeklyAvailability

    psychologist = factory.SubFactory(ProfessionalFactory)
    day_of_week = 0
    start_time = dt.time(9, 0)
    end_time = dt.time(17, 0)
    is_active = True


class BlockedDateFactory(DjangoModelFactory):
    class Meta:
        model = BlockedDate

    psychologist = factory.SubFactory(ProfessionalFactory)
    date = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=7))
    reason = "Capacitación"

    class Params:
        # BlockedDateFactory(afternoon=True): 14:00–18:00 only, instead of the whole day.
        afternoon = factory.Trait(start_time=dt.time(14, 0), end_time=dt.time(18, 0))


class AppointmentFactory(DjangoModelFactory):
    """An appointment written straight to the table (no booking rules): for fixtures."""

    class Meta:
        model = Appointment

    patient = factory.SubFactory(PatientFactory)
    psychologist = factory.SubFactory(ProfessionalFactory)
    start = factory.Sequence(lambda n: _next_full_hour() + dt.timedelta(hours=n))
    end = factory.LazyAttribute(lambda o: o.start + dt.timedelta(minutes=60))
    status = AppointmentStatus.PENDING
    reason = factory.Faker("sentence", locale="es_ES")

    class Params:
        past = factory.Trait(
            start=factory.Sequence(lambda n: _next_full_hour(-2) - dt.timedelta(hours=n)),
            status=AppointmentStatus.COMPLETED,
        )
        cancelled = factory.Trait(
            status=AppointmentStatus.CANCELLED,
            cancellation_reason="Viaje",
            cancelled_at=factory.LazyFunction(timezone.now),
        )


def weekly_schedule_for(
    psychologist,
    *,
    days: tuple[int, ...] = (0, 1, 2, 3, 4),
    start: dt.time = dt.time(8, 0),
    end: dt.time = dt.time(18, 0),
) -> list[WeeklyAvailability]:
    """One active rule per day in ``days``, ``start``–``end`` (default Mon–Fri 08–18)."""
    return [
        WeeklyAvailabilityFactory.create(
            psychologist=psychologist, day_of_week=day, start_time=start, end_time=end
        )
        for day in days
    ]
