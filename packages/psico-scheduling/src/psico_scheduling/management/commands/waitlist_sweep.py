"""Expires waiting list holds whose time is up and entries whose window has passed."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from psico_scheduling.services import waitlist_sweep


class Command(BaseCommand):
    help = (
        "Expires every waiting list hold whose time is up (offering its slot to the next in"
        " line) and ends every entry whose last day has passed. Run it periodically where the"
        " task backend cannot defer tasks; with a worker it only catches up."
    )

    def handle(self, *args, **options):
        result = waitlist_sweep()
        self.stdout.write(
            "Expired {expired_offers} hold(s), made {new_offers} new offer(s), ended"
            " {ended_entries} entry(ies).".format(**result)
        )
