from __future__ import annotations

import factory
from psico_scheduling.testing.factories import AppointmentFactory

from psico_records.models import ClinicalNote


class ClinicalNoteFactory(factory.django.DjangoModelFactory):
    """A note by the appointment's professional (its author)."""

    class Meta:
        model = ClinicalNote

    appointment = factory.SubFactory(AppointmentFactory)
    author = factory.LazyAttribute(lambda note: note.appointment.psychologist)
    content = factory.Faker("paragraph", locale="es_ES")
