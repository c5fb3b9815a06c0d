"""Gives every professional a realistic weekly schedule (idempotent)."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from psico_scheduling import services
from psico_scheduling.models import WeeklyAvailability
from psico_scheduling.selectors import bookable_professionals


def _time(value: str) -> dt.time:
    try:
        return dt.time.fromisoformat(value)
    except ValueError:
        raise CommandError(f"Not a time (HH:MM): {value!r}") from None


class Command(BaseCommand):
    help = (
        "Creates weekly availability rules for every professional (or those given with"
        " --email): working hours on the chosen days, split around a lunch break. Days on"
        " which a professional already has rules are left alone, so running it twice changes"
        " nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days", default="0,1,2,3,4", help="Weekdays, 0 = Monday (default: 0,1,2,3,4)."
        )
        parser.add_argument("--start", default="08:00", help="Start of the day (08:00).")
        parser.add_argument("--end", default="18:00", help="End of the day (18:00).")
        parser.add_argument(
            "--lunch",
            default="12:00-14:00",
            help='Break as HH:MM-HH:MM (default 12:00-14:00); "none" for no break.',
        )
        parser.add_argument(
            "--email", action="append", default=[], help="Only this professional (repeatable)."
        )

    def handle(self, *args, **options):
        try:
            days = sorted({int(day) for day in options["days"].split(",") if day.strip()})
        except ValueError:
            raise CommandError("--days takes weekday numbers, e.g. 0,1,2,3,4") from None
        if not days or any(day not in range(7) for day in days):
            raise CommandError("--days takes weekday numbers from 0 (Monday) to 6 (Sunday).")
        start, end = _time(options["start"]), _time(options["end"])
        if start >= end:
            raise CommandError("--start must be before --end.")
        ranges = [(start, end)]
        if options["lunch"].lower() != "none":
            try:
                lunch_start, lunch_end = (_time(part) for part in options["lunch"].split("-"))
            except ValueError:
                raise CommandError("--lunch takes HH:MM-HH:MM or none.") from None
            if not start < lunch_start < lunch_end < end:
                raise CommandError("The lunch break must fall inside the working hours.")
            ranges = [(start, lunch_start), (lunch_end, end)]

        professionals = bookable_professionals().order_by("pk")
        if options["email"]:
            professionals = professionals.filter(email__in=options["email"])
        created = skipped = 0
        for professional in professionals:
            busy_days = set(
                WeeklyAvailability.objects.filter(psychologist=professional).values_list(
                    "day_of_week", flat=True
                )
            )
            for day in days:
                if day in busy_days:
                    skipped += 1
                    continue
                for range_start, range_end in ranges:
                    try:
                        services.availability_rule_create(
                            psychologist=professional,
                            day_of_week=day,
                            start_time=range_start,
                            end_time=range_end,
                        )
                    except ValidationError as error:
                        raise CommandError("; ".join(error.messages)) from None
                    created += 1
        self.stdout.write(
            self.style.SUCCESS(
                f"Created {created} availability rules; left {skipped} existing days alone."
            )
        )
