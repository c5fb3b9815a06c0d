"""Fifty patients race for one slot: exactly one wins, the rest get a clean 400."""

import threading

import pytest
from django.db import connections
from psico_accounts.testing.factories import PatientFactory, ProfessionalFactory
from psico_scheduling.models import Appointment
from psico_scheduling.testing.dates import next_weekday
from psico_scheduling.testing.factories import weekly_schedule_for

from .conftest import APPOINTMENTS

RACERS = 50


@pytest.mark.django_db(transaction=True)
def test_simultaneous_bookings_of_one_slot(api_client_for):
    professional = ProfessionalFactory()
    weekly_schedule_for(professional)
    monday = next_weekday(0)
    clients = [
        api_client_for(patient, language="en") for patient in PatientFactory.create_batch(RACERS)
    ]
    payload = {
        "psychologist": professional.pk,
        "appointment_date": monday.isoformat(),
        "start_time": "09:00",
    }
    barrier = threading.Barrier(RACERS)
    outcomes = []

    def race(client):
        try:
            barrier.wait(timeout=30)
            response = client.post(APPOINTMENTS, payload, format="json")
            outcomes.append((response.status_code, response.json()))
        except Exception as error:  # a 500 re-raised by the test client must be counted
            outcomes.append((500, repr(error)))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=race, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    statuses = sorted(status for status, _body in outcomes)
    assert statuses == [201] + [400] * (RACERS - 1), outcomes
    refusals = {str(body) for status, body in outcomes if status == 400}
    assert refusals == {
        str({"non_field_errors": ["The professional already has an appointment at that time."]})
    }
    assert Appointment.objects.filter(psychologist=professional).count() == 1
