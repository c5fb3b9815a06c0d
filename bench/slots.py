"""A month of free slots for one professional: psico-scheduling beside django-appointment.

The same schedule (Mon–Fri 08:00–12:00 and 14:00–18:00, 60-minute sessions), the same day off,
the same blocked afternoon and the same ~100 bookings are written into both apps' tables in one
database; then each computes the free slots of the month its own way:

- psico-scheduling: ``psico_scheduling.selectors.available_slots_between`` (one call, a month);
- django-appointment: ``appointment.services.get_available_slots_for_staff`` once per day, as
  its own views do.

Printed: milliseconds per month (median of several runs), the ratio, the SQL queries each issued
(CaptureQueriesContext) and whether both found the same free slots.

    python bench/slots.py [--size small|full]
"""

from __future__ import annotations

import datetime as dt
import random
import statistics
from collections.abc import Iterable

import harness

SCHEDULE = [(dt.time(8), dt.time(12)), (dt.time(14), dt.time(18))]
WORKDAYS = range(5)  # Monday to Friday, Python's weekday() numbering (as psico-scheduling's)
SESSION_MINUTES = 60
MONTH_DAYS = 30
BOOKINGS = 100
CANCELLED_BOOKINGS = 10  # psico only: cancelled appointments must not hold their slot
REPEAT = {"small": 5, "full": 30}

SlotKey = tuple[dt.date, str]


def month_start() -> dt.date:
    """The first Monday at least two days away, so no slot is in the past or too soon."""
    from django.utils import timezone

    today = timezone.localdate()
    start = today + dt.timedelta(days=2)
    return start + dt.timedelta(days=(7 - start.weekday()) % 7)


def schedule_slots(days: Iterable[dt.date]) -> list[SlotKey]:
    """Every slot the weekly schedule offers on ``days``, before anything is taken away."""
    slots = []
    for day in days:
        if day.weekday() not in WORKDAYS:
            continue
        for opens, closes in SCHEDULE:
            moment = dt.datetime.combine(day, opens)
            while moment.time() < closes:
                slots.append((day, moment.strftime("%H:%M")))
                moment += dt.timedelta(minutes=SESSION_MINUTES)
    return slots


class Scenario:
    """The month, its day off, its blocked afternoon and the booked slots, chosen once."""

    def __init__(self, seed: int = 2024) -> None:
        chooser = random.Random(seed)
        self.start = month_start()
        self.end = self.start + dt.timedelta(days=MONTH_DAYS - 1)
        self.days = [self.start + dt.timedelta(days=n) for n in range(MONTH_DAYS)]
        self.day_off = self.start + dt.timedelta(days=9)  # the second Wednesday
        self.blocked_afternoon = self.start + dt.timedelta(days=11)  # the second Friday
        self.blocked_range = (dt.time(16), dt.time(18))
        open_slots = [
            slot
            for slot in schedule_slots(self.days)
            if slot[0] != self.day_off
            and not (slot[0] == self.blocked_afternoon and slot[1] >= "16:00")
        ]
        chosen = chooser.sample(open_slots, BOOKINGS + CANCELLED_BOOKINGS)
        self.booked = sorted(chosen[:BOOKINGS])
        self.cancelled = sorted(chosen[BOOKINGS:])
        self.expected_free = sorted(set(open_slots) - set(self.booked))


def create_psico_data(scenario: Scenario, professional, patients) -> None:
    from django.utils import timezone
    from psico_scheduling.models import AppointmentStatus
    from psico_scheduling.testing.factories import (
        AppointmentFactory,
        BlockedDateFactory,
        WeeklyAvailabilityFactory,
    )

    for weekday in WORKDAYS:
        for opens, closes in SCHEDULE:
            WeeklyAvailabilityFactory(
                psychologist=professional, day_of_week=weekday, start_time=opens, end_time=closes
            )
    BlockedDateFactory(psychologist=professional, date=scenario.day_off, reason="Congreso")
    BlockedDateFactory(
        psychologist=professional,
        date=scenario.blocked_afternoon,
        start_time=scenario.blocked_range[0],
        end_time=scenario.blocked_range[1],
        reason="Supervisión clínica",
    )
    zone = timezone.get_current_timezone()
    for index, (day, start_time) in enumerate(scenario.booked + scenario.cancelled):
        start = dt.datetime.combine(day, dt.time.fromisoformat(start_time), tzinfo=zone)
        cancelled = index >= len(scenario.booked)
        AppointmentFactory(
            patient=patients[index % len(patients)],
            psychologist=professional,
            start=start,
            end=start + dt.timedelta(minutes=SESSION_MINUTES),
            status=AppointmentStatus.CANCELLED if cancelled else AppointmentStatus.CONFIRMED,
        )


def create_django_appointment_data(scenario: Scenario, professional, patients):
    """The same month in django-appointment's terms; returns (staff member, service).

    Its WorkingHours hold one range per weekday (unique per staff member and day), so the
    lunch break is an Unavailability on each working day, as its documentation suggests for
    recurring breaks. Its weekdays count from Sunday = 0.
    """
    from appointment.models import (
        Appointment,
        AppointmentRequest,
        Config,
        DayOff,
        Service,
        StaffMember,
        Unavailability,
        WorkingHours,
    )

    Config(
        slot_duration=SESSION_MINUTES,
        lead_time=dt.time(8),
        finish_time=dt.time(18),
        appointment_buffer_time=0,
    ).save()
    service = Service.objects.create(
        name="Sesión de psicoterapia", duration=dt.timedelta(minutes=SESSION_MINUTES), price=0
    )
    staff = StaffMember.objects.create(
        user=professional,
        slot_duration=SESSION_MINUTES,
        lead_time=dt.time(8),
        finish_time=dt.time(18),
        appointment_buffer_time=0,
    )
    staff.services_offered.add(service)
    for weekday in WORKDAYS:
        WorkingHours.objects.create(
            staff_member=staff,
            day_of_week=(weekday + 1) % 7,
            start_time=SCHEDULE[0][0],
            end_time=SCHEDULE[-1][1],
        )
    for day in scenario.days:
        if day.weekday() in WORKDAYS:
            Unavailability.objects.create(
                staff_member=staff,
                date=day,
                start_time=SCHEDULE[0][1],
                end_time=SCHEDULE[1][0],
                description="Almuerzo",
            )
    DayOff.objects.create(
        staff_member=staff,
        start_date=scenario.day_off,
        end_date=scenario.day_off,
        description="Congreso",
    )
    Unavailability.objects.create(
        staff_member=staff,
        date=scenario.blocked_afternoon,
        start_time=scenario.blocked_range[0],
        end_time=scenario.blocked_range[1],
        description="Supervisión clínica",
    )
    for index, (day, start_time) in enumerate(scenario.booked):
        start = dt.time.fromisoformat(start_time)
        end = (dt.datetime.combine(day, start) + dt.timedelta(minutes=SESSION_MINUTES)).time()
        request = AppointmentRequest.objects.create(
            date=day, start_time=start, end_time=end, service=service, staff_member=staff
        )
        Appointment.objects.create(
            client=patients[index % len(patients)], appointment_request=request
        )
    return staff, service


def psico_month(scenario: Scenario, professional):
    from psico_scheduling.selectors import available_slots_between

    return available_slots_between(
        psychologist=professional, start_date=scenario.start, end_date=scenario.end
    )


def psico_day_by_day(scenario: Scenario, professional):
    """The month as thirty one-day questions, the shape django-appointment's API imposes."""
    from psico_scheduling.selectors import available_slots

    return {day: available_slots(psychologist=professional, date=day) for day in scenario.days}


def psico_slot_keys(result) -> list[SlotKey]:
    """The selector's answer ({local day: [Slot]}) as (local date, "HH:MM") pairs."""
    return sorted(
        (day, slot.local_start.strftime("%H:%M")) for day, slots in result.items() for slot in slots
    )


def django_appointment_month(scenario: Scenario, staff, service):
    from appointment.services import get_available_slots_for_staff
    from appointment.utils.db_helpers import get_weekday_num_from_date

    return {
        day: get_available_slots_for_staff(
            day, staff, get_weekday_num_from_date(day), service=service
        )
        for day in scenario.days
    }


def django_appointment_slot_keys(result) -> list[SlotKey]:
    return sorted((day, slot.strftime("%H:%M")) for day, slots in result.items() for slot in slots)


def measure(label: str, compute, to_keys, scenario: Scenario, repeat: int) -> dict:
    queries, result = harness.count_queries(compute)
    keys = to_keys(result)
    durations, _ = harness.timed_runs(compute, repeat)
    return {
        "label": label,
        "median": statistics.median(durations),
        "min": min(durations),
        "queries": queries,
        "free": len(keys),
        "as_expected": keys == scenario.expected_free,
        "keys": keys,
    }


def main() -> int:
    args = harness.parse_args(__doc__.splitlines()[0])
    harness.setup_django("slots")
    from django.conf import settings
    from psico_accounts.testing.factories import PatientFactory, ProfessionalFactory

    repeat = REPEAT[args.size]
    with harness.bench_database():
        print(f"slots: a month for one professional ({harness.describe_environment()})")
        scenario = Scenario()
        professional = ProfessionalFactory()
        patients = PatientFactory.create_batch(20)
        create_psico_data(scenario, professional, patients)
        print(
            f"month {scenario.start}..{scenario.end}: "
            f"{len(schedule_slots(scenario.days))} scheduled slots, {len(scenario.booked)} booked "
            f"(+{len(scenario.cancelled)} cancelled), 1 day off, 1 blocked afternoon; "
            f"expected free: {len(scenario.expected_free)}"
        )
        results = [
            measure(
                "psico-scheduling available_slots_between (1 call)",
                lambda: psico_month(scenario, professional),
                psico_slot_keys,
                scenario,
                repeat,
            ),
            measure(
                "psico-scheduling available_slots (30 calls, 1 a day)",
                lambda: psico_day_by_day(scenario, professional),
                psico_slot_keys,
                scenario,
                repeat,
            ),
        ]
        if settings.HAS_DJANGO_APPOINTMENT:
            staff, service = create_django_appointment_data(scenario, professional, patients)
            results.append(
                measure(
                    "django-appointment get_available_slots_for_staff (30 calls)",
                    lambda: django_appointment_month(scenario, staff, service),
                    django_appointment_slot_keys,
                    scenario,
                    repeat,
                )
            )

    print(f"{repeat} runs each")
    harness.print_table(
        ["implementation", "ms/month (median)", "min", "queries", "free slots", "as expected"],
        [
            [
                result["label"],
                f"{result['median']:.2f}",
                f"{result['min']:.2f}",
                result["queries"],
                result["free"],
                "yes" if result["as_expected"] else "NO",
            ]
            for result in results
        ],
    )
    ours = results[0]
    if len(results) == 3:
        theirs = results[2]
        print(
            f"ratio: django-appointment takes {theirs['median'] / ours['median']:.1f}× the time "
            f"of available_slots_between for the month, with {theirs['queries']} queries "
            f"instead of {ours['queries']}"
        )
    else:
        print(
            "django-appointment is not installed in this environment: only psico-scheduling "
            "was measured (nox -s bench installs it from bench/requirements.txt)."
        )
    failures = [result for result in results if not result["as_expected"]]
    for result in failures:
        missing = sorted(set(scenario.expected_free) - set(result["keys"]))[:5]
        extra = sorted(set(result["keys"]) - set(scenario.expected_free))[:5]
        print(f"{result['label']}: not the expected slots; missing {missing}, extra {extra}")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
