"""``manage.py seal_rotate``: re-seal every sealed value under the newest key."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from psico_core.sealing import RotationBatch, keys_error, sealed_rows_rotate, sealing_keys


class Command(BaseCommand):
    help = (
        "Re-seal every sealed field of every installed model under the newest key of "
        "PSICO_SEALING_KEYS, in batches by primary key. Safe to interrupt and run again: values "
        "already under the newest key are left as they are."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, batch_size: int, **options) -> None:
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        problem = keys_error(sealing_keys())
        if problem:
            raise CommandError(f"PSICO_SEALING_KEYS: {problem}.")

        def progress(batch: RotationBatch) -> None:
            self.stdout.write(
                f"{batch.label}: {batch.examined}/{batch.total} examined, "
                f"{batch.resealed} re-sealed (up to pk {batch.last_pk})"
            )

        counts = sealed_rows_rotate(batch_size=batch_size, on_batch=progress)
        for label, count in counts.items():
            self.stdout.write(self.style.SUCCESS(f"{label}: {count} re-sealed"))
        self.stdout.write(self.style.SUCCESS("Every sealed value is under the newest key."))
