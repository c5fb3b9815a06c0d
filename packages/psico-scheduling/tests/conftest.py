import datetime as dt

import pytest

APPOINTMENTS = "/api/appointments/appointments/"
AVAILABILITY = "/api/appointments/availability/"
BLOCKED_DATES = "/api/appointments/blocked-dates/"
AVAILABLE_SLOTS = "/api/appointments/available-slots/"
SEARCH = "/api/appointments/search-psychologists/"


def appointment_url(pk, action=None):
    return f"{APPOINTMENTS}{pk}/" + (f"{action}/" if action else "")


def messages(response, key="non_field_errors"):
    assert response.status_code == 400, (response.status_code, response.content)
    return response.json()[key]


@pytest.fixture
def post_booking(api_client_for):
    """``post_booking(patient, psychologist, date, "09:00", language=None)`` → response."""

    def post(patient, psychologist, date: dt.date, start_time: str, /, *, language=None, **extra):
        client = api_client_for(patient, language=language)
        payload = {
            "psychologist": getattr(psychologist, "pk", psychologist),
            "appointment_date": date.isoformat(),
            "start_time": start_time,
            **extra,
        }
        return client.post(APPOINTMENTS, payload, format="json")

    return post
