"""Scheduling's part of a user's data export (psico_accounts.personal_data): their
appointments, as patient or as professional. Erasure keeps them (the professional's records):
the anonymised user is what they then name."""

from __future__ import annotations

from django.db.models import Q

from .models import Appointment


def appointments_export(sender, *, user, **kwargs) -> tuple[str, list[dict]]:
    appointments = (
        Appointment.objects.filter(Q(patient=user) | Q(psychologist=user))
        .select_related("patient", "psychologist")
        .order_by("start", "pk")
    )
    return "appointments", [
        {
            "id": appointment.pk,
            "patient": appointment.patient.get_full_name(),
            "professional": appointment.psychologist.get_full_name(),
            "start": appointment.start,
            "end": appointment.end,
            "status": appointment.status,
            "reason": appointment.reason,
            "cancellation_reason": appointment.cancellation_reason,
            "modality": appointment.modality,
            "location": appointment.location,
        }
        for appointment in appointments
    ]
