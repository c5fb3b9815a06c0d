import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from psico_accounts.testing.factories import PatientFactory, ProfessionalFactory
from psico_scheduling.models import Appointment, AppointmentStatus, WeeklyAvailability
from psico_scheduling.selectors import available_slots_between
from psico_scheduling.testing.factories import WeeklyAvailabilityFactory

pytestmark = pytest.mark.django_db


def rules_of(professional):
    return list(
        WeeklyAvailability.objects.filter(psychologist=professional)
        .order_by("day_of_week", "start_time")
        .values_list("day_of_week", "start_time", "end_time")
    )


def test_create_availability_gives_every_professional_a_week_once():
    first, second = ProfessionalFactory.create_batch(2)
    WeeklyAvailabilityFactory(
        psychologist=second, day_of_week=0, start_time=dt.time(10), end_time=dt.time(11)
    )
    PatientFactory()

    call_command("create_availability", stdout=StringIO())
    call_command("create_availability", stdout=StringIO())

    expected = [
        (day, start, end)
        for day in range(5)
        for start, end in ((dt.time(8), dt.time(12)), (dt.time(14), dt.time(18)))
    ]
    assert rules_of(first) == expected
    assert rules_of(second) == [(0, dt.time(10), dt.time(11)), *expected[2:]]
    assert WeeklyAvailability.objects.count() == 19


def test_create_availability_options():
    professional = ProfessionalFactory()
    ProfessionalFactory()
    call_command(
        "create_availability",
        "--days",
        "5",
        "--start",
        "09:00",
        "--end",
        "13:00",
        "--lunch",
        "none",
        "--email",
        professional.email,
        stdout=StringIO(),
    )
    assert WeeklyAvailability.objects.count() == 1
    assert rules_of(professional) == [(5, dt.time(9), dt.time(13))]


@pytest.mark.parametrize(
    "args",
    [
        ["--days", "8"],
        ["--days", "x"],
        ["--start", "18:00", "--end", "08:00"],
        ["--lunch", "07:00-09:00"],
        ["--start", "8am"],
    ],
)
def test_create_availability_refuses_bad_options(args):
    with pytest.raises(CommandError):
        call_command("create_availability", *args)


def test_populate_appointments_needs_debug_or_force(settings):
    settings.DEBUG = False
    PatientFactory()
    with pytest.raises(CommandError):
        call_command("populate_appointments")


def test_populate_appointments_books_real_slots_and_history():
    professionals = ProfessionalFactory.create_batch(2)
    PatientFactory.create_batch(5)
    call_command("create_availability", stdout=StringIO())
    call_command("populate_appointments", "--force", "--seed", "7", stdout=StringIO())
    now = timezone.now()
    future = Appointment.objects.filter(start__gte=now)
    past = Appointment.objects.filter(start__lt=now)
    assert future.count() == 8
    assert set(future.values_list("status", flat=True)) <= {
        AppointmentStatus.PENDING,
        AppointmentStatus.CONFIRMED,
    }
    assert past.count() == 12
    assert set(past.values_list("status", flat=True)) <= {
        AppointmentStatus.COMPLETED,
        AppointmentStatus.NO_SHOW,
        AppointmentStatus.CANCELLED,
    }
    # Future bookings took real slots: none of them is offered any more.
    for professional in professionals:
        today = timezone.localdate()
        offered = {
            slot.start
            for day in available_slots_between(
                psychologist=professional,
                start_date=today,
                end_date=today + dt.timedelta(days=21),
            ).values()
            for slot in day
        }
        assert not offered & set(
            future.filter(psychologist=professional).values_list("start", flat=True)
        )

    call_command("populate_appointments", "--force", stdout=StringIO())
    assert Appointment.objects.count() == 20


def test_populate_appointments_needs_patients():
    with pytest.raises(CommandError):
        call_command("populate_appointments", "--force")
