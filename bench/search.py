"""search-psychologists at 100 and 1,000 professionals: the selector and the HTTP view.

Every professional has a weekly schedule (Mon–Fri 08:00–12:00 and 14:00–18:00, 60-minute
sessions) and a few bookings on the searched day and around it; one in ten has the day blocked.
The search runs through ``psico_scheduling.selectors.professionals_with_free_slots`` and through
``GET /api/appointments/search-psychologists/?date=`` (DRF's APIClient, anonymous, first page),
with and without a city filter. Printed: milliseconds (median of several runs) and SQL queries
per search, at each size, so that growth with the number of professionals shows.

    python bench/search.py [--size small|full]
"""

from __future__ import annotations

import datetime as dt
import random
import statistics

import harness

SIZES = {"small": (20, 100), "full": (100, 1000)}
REPEAT = {"small": 3, "full": 10}
SCHEDULE = [(dt.time(8), dt.time(12)), (dt.time(14), dt.time(18))]
CITIES = ["La Paz", "Santa Cruz", "Cochabamba", "Sucre", "Tarija"]
BOOKINGS_ON_DAY = 3
BOOKINGS_AROUND = 2
PATIENTS = 50


def search_day() -> dt.date:
    """The first Tuesday at least two days away."""
    from django.utils import timezone

    start = timezone.localdate() + dt.timedelta(days=2)
    return start + dt.timedelta(days=(1 - start.weekday()) % 7)


def add_professionals(count: int, *, day: dt.date, patients, specializations, chooser) -> None:
    """``count`` more professionals with profile, schedule, bookings and the odd blocked day.

    Built with the packages' factories and written with ``bulk_create``, so that setting up
    1,000 professionals takes seconds, not minutes.
    """
    from django.utils import timezone
    from psico_accounts.models import ProfessionalProfile, User, UserType
    from psico_accounts.testing.factories import ProfessionalProfileFactory, UserFactory
    from psico_scheduling.models import (
        Appointment,
        AppointmentStatus,
        BlockedDate,
        WeeklyAvailability,
    )
    from psico_scheduling.testing.factories import (
        AppointmentFactory,
        BlockedDateFactory,
        WeeklyAvailabilityFactory,
    )

    users = UserFactory.build_batch(count, user_type=UserType.PROFESSIONAL)
    for user in users:
        user.username = user.email.split("@", 1)[0]
    users = User.objects.bulk_create(users)
    profiles = ProfessionalProfile.objects.bulk_create(
        [
            ProfessionalProfileFactory.build(
                user=user, city=CITIES[index % len(CITIES)], session_duration=60
            )
            for index, user in enumerate(users)
        ]
    )
    through = ProfessionalProfile.specializations.through
    through.objects.bulk_create(
        [
            through(professionalprofile_id=profile.pk, specialization_id=specialization.pk)
            for profile in profiles
            for specialization in chooser.sample(specializations, 2)
        ]
    )
    rules, blocks, appointments = [], [], []
    zone = timezone.get_current_timezone()
    hours = [hour for opens, closes in SCHEDULE for hour in range(opens.hour, closes.hour)]
    for index, user in enumerate(users):
        for weekday in range(5):
            for opens, closes in SCHEDULE:
                rules.append(
                    WeeklyAvailabilityFactory.build(
                        psychologist=user, day_of_week=weekday, start_time=opens, end_time=closes
                    )
                )
        if index % 10 == 9:
            blocks.append(BlockedDateFactory.build(psychologist=user, date=day))
        booked = [(day, hour) for hour in chooser.sample(hours, BOOKINGS_ON_DAY)]
        booked += [
            (day + dt.timedelta(days=offset), chooser.choice(hours))
            for offset in chooser.sample([-1, 1, 2], BOOKINGS_AROUND)
        ]
        for booked_day, hour in booked:
            start = dt.datetime.combine(booked_day, dt.time(hour), tzinfo=zone)
            appointments.append(
                AppointmentFactory.build(
                    patient=chooser.choice(patients),
                    psychologist=user,
                    start=start,
                    end=start + dt.timedelta(hours=1),
                    status=AppointmentStatus.CONFIRMED,
                )
            )
    WeeklyAvailability.objects.bulk_create(rules)
    BlockedDate.objects.bulk_create(blocks)
    Appointment.objects.bulk_create(appointments)


def measure(label: str, function, repeat: int) -> list:
    queries, result = harness.count_queries(function)
    durations, _ = harness.timed_runs(function, repeat)
    return [label, f"{statistics.median(durations):.1f}", f"{min(durations):.1f}", queries, result]


def main() -> int:
    args = harness.parse_args(__doc__.splitlines()[0])
    harness.setup_django("search")
    from psico_accounts.testing.factories import PatientFactory, SpecializationFactory
    from psico_scheduling.selectors import professionals_with_free_slots
    from rest_framework.test import APIClient

    repeat = REPEAT[args.size]
    chooser = random.Random(2024)
    with harness.bench_database():
        print(f"search-psychologists ({harness.describe_environment()})")
        day = search_day()
        patients = PatientFactory.create_batch(PATIENTS)
        specializations = SpecializationFactory.create_batch(6)
        client = APIClient()
        url = f"/api/appointments/search-psychologists/?date={day.isoformat()}"

        def through_selector(city=None):
            return len(professionals_with_free_slots(date=day, city=city))

        def through_http(query=""):
            response = client.get(url + query)
            if response.status_code != 200:
                raise RuntimeError(f"{url + query} answered {response.status_code}")
            return response.json()["count"]

        rows = []
        created = 0
        for size in SIZES[args.size]:
            add_professionals(
                size - created,
                day=day,
                patients=patients,
                specializations=specializations,
                chooser=chooser,
            )
            created = size
            rows.append(
                [size, *measure("selector, all cities", through_selector, repeat)],
            )
            rows.append(
                [
                    size,
                    *measure("selector, city=La Paz", lambda: through_selector("La Paz"), repeat),
                ]
            )
            rows.append([size, *measure("HTTP, page 1", through_http, repeat)])
            rows.append(
                [size, *measure("HTTP, city=La Paz", lambda: through_http("&city=La Paz"), repeat)]
            )
        print(f"date searched: {day} (a Tuesday); {repeat} runs per line")
        harness.print_table(
            ["professionals", "path", "ms (median)", "min", "queries", "found"], rows
        )
        first, last = SIZES[args.size]
        by_key = {(row[0], row[1]): row for row in rows}
        for path in ("selector, all cities", "HTTP, page 1"):
            small, big = by_key[(first, path)], by_key[(last, path)]
            growth = float(big[2]) / float(small[2])
            print(
                f"{path}: {last / first:.0f}× the professionals → {growth:.1f}× the time, "
                f"queries {small[4]} → {big[4]}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
