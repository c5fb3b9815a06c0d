"""factory-boy factories for every psico_scheduling model."""

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
