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


@pytest.fixture
def book_before_commit(
    patient, professional, weekly_schedule, next_monday, book, django_capture_on_commit_callbacks
):
    """``book_before_commit("09:00")``: ``patient`` books ``professional`` on ``next_monday``
    in a transaction whose on-commit callbacks are held, not run; returns the appointment and
    those callbacks (calling them is the commit)."""

    def make(start_time: str):
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            appointment = book(patient, professional, next_monday, start_time)
        return appointment, callbacks

    return make
