"""Sends the appointment events still waiting in the outbox (what the worker does on commit)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from psico_scheduling.tasks import relay_appointment_events


class Command(BaseCommand):
    help = (
        "Sends every appointment event not yet dispatched (appointment_event_recorded) in this"
        " process, as the relay task does after each change. Safe beside running workers: each"
        " event is locked by the one that sends it."
    )

    def handle(self, *args, **options):
        relayed = relay_appointment_events.call()
        self.stdout.write(f"Relayed {relayed} appointment event(s).")
