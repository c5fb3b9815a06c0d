"""Books the pending dates of recurring series that the booking horizon has reached."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from psico_scheduling.tasks import book_series_dates


class Command(BaseCommand):
    help = (
        "Books every pending date of a recurring series that is now within the booking"
        " horizon (MAX_DAYS_AHEAD), as the worker does when the horizon reaches it; a date a"
        " booking rule refuses is recorded as skipped with its reason. Safe beside running"
        " workers (each date is locked by the one that books it); run it daily as a safety net."
    )

    def handle(self, *args, **options):
        outcome = book_series_dates.call()
        self.stdout.write(
            f"Booked {outcome['booked']} series date(s); skipped {outcome['skipped']}."
        )
