"""factory-boy factories for psico_chat models, for this and other projects' tests."""

from __future__ import annotations

import factory
from factory.django import DjangoModelFactory
from psico_scheduling.testing.factories import AppointmentFactory

from ..models import ChatMessage


class ChatMessageFactory(DjangoModelFactory):
    """A message written straight to the table (no chat rules, no broadcast): for fixtures."""

    class Meta:
        model = ChatMessage

    appointment = factory.SubFactory(AppointmentFactory)
    sender = factory.LazyAttribute(lambda o: o.appointment.patient)
    content = factory.Faker("sentence", locale="es_ES")
