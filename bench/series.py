"""Booking a 52-week series, beside booking the same 52 dates one by one.

One professional works Monday to Friday 08:00–18:00 in 60-minute sessions, with the booking
horizon raised to 400 days (``MAX_DAYS_AHEAD``) so that all 52 weekly dates are booked at once.
Each run books a new patient's 52-week series through
``psico_scheduling.services.appointment_series_book`` (each date through ``appointment_book`` in
its own savepoint); the baseline books another new patient's 52 weekly dates by calling
``appointment_book`` 52 times, each in its own transaction, as 52 single bookings would. Tasks
(the outbox relay) are enqueued on Django's dummy backend, not run. Runs
alternate between the two, each at a free weekday and hour. Printed: ms per 52 dates (median,
minimum), SQL queries and queries per date, dates booked; the script exits 1 if a run booked
fewer than 52.

    python bench/series.py [--size small|full]
"""

from __future__ import annotations

import datetime as dt
import statistics
from functools import partial

import harness

WEEKS = 52
REPEAT = {"small": 3, "full": 10}
HOURS = range(8, 18)


def first_monday() -> dt.date:
    from django.utils import timezone

    start = timezone.localdate() + dt.timedelta(days=2)
    return start + dt.timedelta(days=(0 - start.weekday()) % 7)


def main() -> int:
    args = harness.parse_args(__doc__.splitlines()[0])
    harness.setup_django("series")
    from django.test import override_settings
    from psico_accounts.testing.factories import PatientFactory, ProfessionalFactory
    from psico_core.tasks_compat import IMMEDIATE_BACKEND
    from psico_scheduling.models import Appointment
    from psico_scheduling.services import appointment_book, appointment_series_book
    from psico_scheduling.testing.factories import weekly_schedule_for

    repeat = REPEAT[args.size]
    failures = []
    # Tasks are enqueued and not run, as in production, where the worker relays the events:
    # what is measured is the booking, not the relay of its events.
    dummy = IMMEDIATE_BACKEND.replace("immediate.ImmediateBackend", "dummy.DummyBackend")
    with (
        harness.bench_database(),
        override_settings(
            PSICO_SCHEDULING={"MAX_DAYS_AHEAD": 400}, TASKS={"default": {"BACKEND": dummy}}
        ),
    ):
        print(f"series: 52 weekly dates for one patient ({harness.describe_environment()})")
        professional = ProfessionalFactory(professional_profile__session_duration=60)
        weekly_schedule_for(professional)
        monday = first_monday()
        # Every run gets its own weekday and hour: series on Monday, Wednesday and Friday,
        # single bookings on Tuesday and Thursday.
        series_slots = [(day, hour) for day in (0, 2, 4) for hour in HOURS]
        single_slots = [(day, hour) for day in (1, 3) for hour in HOURS]

        def book_series(day: int, hour: int) -> int:
            series = appointment_series_book(
                patient=PatientFactory(),
                psychologist=professional,
                start_date=monday + dt.timedelta(days=day),
                start_time=dt.time(hour),
                frequency="weekly",
                count=WEEKS,
            )
            return Appointment.objects.filter(series=series).count()

        def book_one_by_one(day: int, hour: int) -> int:
            patient = PatientFactory()
            for week in range(WEEKS):
                appointment_book(
                    patient=patient,
                    psychologist=professional,
                    date=monday + dt.timedelta(days=day, weeks=week),
                    start_time=dt.time(hour),
                )
            return Appointment.objects.filter(patient=patient).count()

        figures: dict[str, dict] = {
            "appointment_series_book (1 call)": {"ms": [], "queries": None, "booked": []},
            "appointment_book × 52 (one by one)": {"ms": [], "queries": None, "booked": []},
        }
        series_label, single_label = list(figures)
        free = {series_label: iter(series_slots), single_label: iter(single_slots)}
        functions = {series_label: book_series, single_label: book_one_by_one}
        # A first run of each counts the queries (and warms up); the timed runs alternate.
        for label, function in functions.items():
            queries, booked = harness.count_queries(partial(function, *next(free[label])))
            figures[label]["queries"] = queries
            figures[label]["booked"].append(booked)
        for _run in range(repeat):
            for label, function in functions.items():
                durations, booked = harness.timed_runs(partial(function, *next(free[label])), 1)
                figures[label]["ms"].extend(durations)
                figures[label]["booked"].append(booked)
        rows = []
        for label, figure in figures.items():
            if any(booked != WEEKS for booked in figure["booked"]):
                failures.append(f"{label}: booked {figure['booked']} of {WEEKS} per run")
            rows.append(
                [
                    label,
                    f"{statistics.median(figure['ms']):.1f}",
                    f"{min(figure['ms']):.1f}",
                    figure["queries"],
                    f"{figure['queries'] / WEEKS:.1f}",
                    min(figure["booked"]),
                ]
            )
        print(
            f"{repeat} runs each, alternating; every run a new patient at a free weekday and hour"
        )
        harness.print_table(
            ["path", "ms per 52 dates (median)", "min", "queries", "per date", "booked"], rows
        )
        series_ms = statistics.median(figures[series_label]["ms"])
        single_ms = statistics.median(figures[single_label]["ms"])
        print(
            f"ratio: the series takes {series_ms / single_ms:.2f}× the time of 52 single bookings,"
            f" with {figures[series_label]['queries']} queries instead of"
            f" {figures[single_label]['queries']}"
        )
    for failure in failures:
        print(f"FAILED: {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
