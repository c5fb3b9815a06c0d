"""The one participant rule, which scheduling and the chat both read."""

import pytest
from django.contrib.auth.models import AnonymousUser
from psico_accounts.testing.factories import AdminFactory, PatientFactory, ProfessionalFactory
from psico_scheduling.selectors import appointment_for_participant, appointment_is_participant

pytestmark = pytest.mark.django_db


def test_the_patient_and_the_professional_take_part_and_nobody_else(appointment):
    insiders = [appointment.patient, appointment.psychologist]
    outsiders = [AdminFactory(), PatientFactory(), ProfessionalFactory(), AnonymousUser()]

    for user in insiders:
        assert appointment_is_participant(appointment=appointment, user=user)
        found = appointment_for_participant(user=user, appointment_id=appointment.pk)
        assert found == appointment
    for user in outsiders:
        assert not appointment_is_participant(appointment=appointment, user=user)
        assert appointment_for_participant(user=user, appointment_id=appointment.pk) is None


def test_a_missing_appointment_reads_like_someone_elses(appointment):
    assert appointment_for_participant(user=appointment.patient, appointment_id=10**9) is None
