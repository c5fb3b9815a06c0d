from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Case, IntegerField, Subquery, Value, When
from psico_accounts.models import UserType
from psico_scheduling.models import Appointment

from ...selectors import chat_is_open
from ...services import message_send

# Demo data for a Bolivian practice, so it stays in Spanish whatever the active language.
DEMO_CONVERSATION = [
    (UserType.PATIENT, "Hola, doctora. Le escribo para confirmar la sesión de esta semana."),
    (
        UserType.PROFESSIONAL,
        "Hola, gracias por escribir. Sí, la sesión sigue en pie a la hora acordada.",
    ),
    (UserType.PATIENT, "Perfecto. ¿Debo llevar algo o preparar algún tema?"),
    (
        UserType.PROFESSIONAL,
        "Solo trae las notas del registro de emociones que empezamos; las revisaremos juntos.",
    ),
    (UserType.PATIENT, "De acuerdo, ahí estaré. ¡Muchas gracias!"),
]


class Command(BaseCommand):
    help = "Adds a demo conversation to the chat of some open appointments (development only)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--appointments",
            type=int,
            default=5,
            help="How many appointments get a conversation (default 5).",
        )
        parser.add_argument("--force", action="store_true", help="Run even when DEBUG is False.")

    def handle(self, *args, appointments: int, force: bool, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "populate_chat writes demo data: it runs only with DEBUG or --force."
            )
        # The oldest patient and the oldest professional (populate_db's demo accounts) first, so
        # that their shared appointments have a conversation to open.
        users = get_user_model().objects.order_by("pk").values("pk")
        candidates = (
            Appointment.objects.select_related("patient", "psychologist")
            .annotate(
                demo_pair=Case(
                    When(
                        patient_id=Subquery(users.filter(user_type=UserType.PATIENT)[:1]),
                        psychologist_id=Subquery(users.filter(user_type=UserType.PROFESSIONAL)[:1]),
                        then=Value(0),
                    ),
                    default=Value(1),
                    output_field=IntegerField(),
                )
            )
            .order_by("demo_pair", "start", "pk")
        )
        # Appointments that already have a chat are left alone, so running twice adds nothing.
        candidates = candidates.filter(chat_messages__isnull=True)
        filled = 0
        for appointment in candidates.iterator():
            if filled >= appointments:
                break
            if not chat_is_open(appointment=appointment):
                continue
            for role, text in DEMO_CONVERSATION:
                sender = (
                    appointment.patient if role == UserType.PATIENT else appointment.psychologist
                )
                message_send(appointment=appointment, sender=sender, content=text)
            filled += 1
        if not filled:
            self.stdout.write("No appointment without a chat is open; nothing to add.")
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"Added a demo conversation ({len(DEMO_CONVERSATION)} messages) "
                f"to {filled} appointment(s)."
            )
        )
