"""Demo appointments: history in the past and real bookings in the future."""

from __future__ import annotations

import datetime as dt
import random

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from psico_accounts.models import UserType

from psico_scheduling import services
from psico_scheduling.models import Appointment, AppointmentStatus
from psico_scheduling.selectors import (
    available_slots_between,
    bookable_professionals,
    professional_calendar,
)
from psico_scheduling.slots import BookingPolicy

PAST_STATUSES = [
    AppointmentStatus.COMPLETED,
    AppointmentStatus.COMPLETED,
    AppointmentStatus.COMPLETED,
    AppointmentStatus.NO_SHOW,
    AppointmentStatus.CANCELLED,
]
REASONS = [
    "Ansiedad ante los exámenes",
    "Dificultades para dormir",
    "Duelo",
    "Terapia de pareja",
    "Estrés laboral",
    "Seguimiento",
]


def _pick_patient(patients: list, made: int, rng: random.Random):
    # Each professional's first appointment goes to the oldest patient account (populate_db's
    # demo patient), so that one login shows a history and upcoming sessions.
    return patients[0] if made == 0 else rng.choice(patients)


class Command(BaseCommand):
    help = (
        "Creates demo appointments for every professional with a weekly schedule: past ones"
        " (completed, no-show, cancelled) and future ones (pending, confirmed) booked through"
        " the booking service, so they sit on real free slots. Tops up to --past/--future per"
        " professional, so a second run adds little or nothing. Needs DEBUG or --force."
    )

    def add_arguments(self, parser):
        parser.add_argument("--past", type=int, default=6, help="Past appointments each (6).")
        parser.add_argument("--future", type=int, default=4, help="Future appointments each (4).")
        parser.add_argument("--days", type=int, default=21, help="Days back and ahead (21).")
        parser.add_argument("--seed", type=int, default=None, help="Random seed.")
        parser.add_argument("--force", action="store_true", help="Run even when DEBUG is off.")

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["force"]:
            raise CommandError("Demo data is only created with DEBUG on, or with --force.")
        patients = list(
            get_user_model()
            .objects.filter(user_type=UserType.PATIENT, is_active=True)
            .order_by("pk")
        )
        if not patients:
            raise CommandError("There are no patients: create some first.")
        rng = random.Random(options["seed"])
        now = timezone.now()
        past_made = future_made = 0
        for professional in bookable_professionals().order_by("pk"):
            # Future first: in a fresh demo database appointment 1 is then the first
            # professional's next session with the oldest patient (the README opens it).
            future_made += self._future(professional, patients, rng, now, options)
            past_made += self._past(professional, patients, rng, now, options)
        self.stdout.write(
            self.style.SUCCESS(
                f"Created {past_made} past and {future_made} future demo appointments."
            )
        )

    def _past(self, professional, patients, rng, now, options) -> int:
        """History is written directly: the booking rules refuse the past by design."""
        missing = (
            options["past"]
            - Appointment.objects.filter(psychologist=professional, start__lt=now).count()
        )
        if missing <= 0:
            return 0
        today = timezone.localdate(now)
        start_date = today - dt.timedelta(days=options["days"])
        calendar = professional_calendar(
            psychologist=professional, start_date=start_date, end_date=today
        )
        # Offer past slots by computing them as if "now" were the first day.
        past_policy = BookingPolicy(
            min_notice=dt.timedelta(0),
            max_days_ahead=options["days"] + 1,
            buffer=BookingPolicy.from_settings().buffer,
            slot_step_minutes=BookingPolicy.from_settings().slot_step_minutes,
        )
        slots = [
            slot
            for day_slots in calendar.slots_between(
                start_date,
                today,
                now=timezone.make_aware(dt.datetime.combine(start_date, dt.time(0))),
                policy=past_policy,
            ).values()
            for slot in day_slots
            if slot.end <= now
        ]
        made = 0
        for slot in rng.sample(slots, min(missing, len(slots))):
            patient = _pick_patient(patients, made, rng)
            overlapping = Appointment.objects.active().filter(
                start__lt=slot.end, end__gt=slot.start
            )
            # Slots overlap each other when SLOT_STEP_MINUTES is shorter than a session.
            if overlapping.filter(Q(patient=patient) | Q(psychologist=professional)).exists():
                continue
            status = rng.choice(PAST_STATUSES)
            cancelled = status == AppointmentStatus.CANCELLED
            with transaction.atomic():
                Appointment.objects.create(
                    patient=patient,
                    psychologist=professional,
                    start=slot.start,
                    end=slot.end,
                    status=status,
                    reason=rng.choice(REASONS),
                    cancellation_reason="Imprevisto familiar" if cancelled else "",
                    cancelled_by=patient if cancelled else None,
                    cancelled_at=slot.start - dt.timedelta(hours=rng.randint(2, 72))
                    if cancelled
                    else None,
                    is_late_cancellation=False,
                )
            made += 1
        return made

    def _future(self, professional, patients, rng, now, options) -> int:
        missing = (
            options["future"]
            - Appointment.objects.active().filter(psychologist=professional, start__gte=now).count()
        )
        if missing <= 0:
            return 0
        today = timezone.localdate(now)
        slots = [
            slot
            for day_slots in available_slots_between(
                psychologist=professional,
                start_date=today,
                end_date=today + dt.timedelta(days=options["days"]),
                now=now,
            ).values()
            for slot in day_slots
        ]
        made = 0
        for slot in rng.sample(slots, min(len(slots), missing * 2)):
            if made >= missing:
                break
            patient = _pick_patient(patients, made, rng)
            local = slot.local_start
            try:
                appointment = services.appointment_book(
                    patient=patient,
                    psychologist=professional,
                    date=local.date(),
                    start_time=local.time(),
                    reason=rng.choice(REASONS),
                )
            except ValidationError:
                continue  # that patient is busy then: try the next slot
            if rng.random() < 0.5:
                services.appointment_confirm(appointment=appointment, by=professional)
            made += 1
        return made
