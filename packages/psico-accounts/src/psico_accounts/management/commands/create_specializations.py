from django.core.management.base import BaseCommand

from ...catalog import SPECIALIZATIONS
from ...services import specializations_load


class Command(BaseCommand):
    help = "Create (or update, by slug) the standard psychology specializations. Idempotent."

    def handle(self, *args, **options):
        created, updated = specializations_load(entries=SPECIALIZATIONS)
        unchanged = len(SPECIALIZATIONS) - created - updated
        self.stdout.write(
            self.style.SUCCESS(
                f"Specializations: {created} created, {updated} updated, {unchanged} unchanged."
            )
        )
