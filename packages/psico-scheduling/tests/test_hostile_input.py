"""Hostile input over REST: every one answers a clear 400 (or 404), fast, and changes nothing."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from psico_scheduling import services
from psico_scheduling.models import Appointment, BlockedDate, WeeklyAvailability
from psico_scheduling.testing.factories import AppointmentFactory

from .conftest import (
    APPOINTMENTS,
    AVAILABILITY,
    AVAILABLE_SLOTS,
    BLOCKED_DATES,
    SEARCH,
    appointment_url,
)

pytestmark = pytest.mark.django_db

FIVE_THOUSAND_WORDS = " ".join(f"word{n}" for n in range(5000))
HUGE_ID = "99999999999999999999"
EXTREME_DATES = ["9999-12-31", "0001-01-01", "9999-12-30", "0001-01-02"]


def far_dates():
    today = timezone.localdate()
    return [*EXTREME_DATES, (today + dt.timedelta(days=3661)).isoformat()]


# -- bounded query parameters --------------------------------------------------------------


@pytest.mark.parametrize(
    ("parameter", "value"),
    [
        ("city", "x" * 20_000),
        ("specialization", "x" * 20_000),
        ("city", FIVE_THOUSAND_WORDS),
        ("specialization", FIVE_THOUSAND_WORDS),
    ],
)
def test_search_parameters_are_bounded(
    api_client_for, django_assert_num_queries, next_monday, parameter, value
):
    client = api_client_for(None, language="en")
    # Refused while reading the parameters: no query runs (bench/hostile.py measures the time).
    with django_assert_num_queries(0):
        response = client.get(SEARCH, {"date": next_monday.isoformat(), parameter: value})
    assert response.status_code == 400
    assert "100 characters" in " ".join(response.json()[parameter])


@pytest.mark.parametrize("value", ["x" * 20_000, "start," * 200])
def test_the_appointment_ordering_is_bounded(patient, api_client_for, value):
    response = api_client_for(patient).get(APPOINTMENTS, {"ordering": value})
    assert response.status_code == 400
    assert "ordering" in response.json()


def test_a_cancellation_reason_of_twenty_thousand_characters_is_refused(
    appointment, api_client_for
):
    response = api_client_for(appointment.patient).post(
        appointment_url(appointment.pk, "cancel"), {"reason": "x" * 20_000}, format="json"
    )
    assert response.status_code == 400
    appointment.refresh_from_db()
    assert appointment.status == "pending"


# -- extreme dates -------------------------------------------------------------------------


@pytest.mark.parametrize("date", EXTREME_DATES)
def test_extreme_dates_in_slots_and_search_are_a_400(
    professional, weekly_schedule, api_client_for, date
):
    client = api_client_for(None, language="en")
    slots = client.get(AVAILABLE_SLOTS, {"psychologist": professional.pk, "date": date})
    assert "Enter a date between" in " ".join(slots.json()["date"])
    search = client.get(SEARCH, {"date": date})
    assert search.status_code == 400
    assert "date" in search.json()


def test_the_date_bound_is_translated(professional, api_client_for):
    response = api_client_for(None).get(
        AVAILABLE_SLOTS, {"psychologist": professional.pk, "date": "9999-12-31"}
    )
    assert response.status_code == 400
    assert "Introduzca una fecha entre" in " ".join(response.json()["date"])


@pytest.mark.parametrize("date", far_dates())
def test_extreme_dates_cannot_be_booked(
    patient, professional, weekly_schedule, next_monday, post_booking, date
):
    # The extreme date goes in as the text a client sends.
    response = post_booking(patient, professional, next_monday, "09:00", appointment_date=date)
    assert response.status_code == 400
    assert "appointment_date" in response.json()
    assert not Appointment.objects.exists()


@pytest.mark.parametrize("date", EXTREME_DATES)
def test_extreme_dates_cannot_be_rescheduled_to(appointment, api_client_for, date):
    before = (appointment.start, appointment.status)
    response = api_client_for(appointment.patient).patch(
        appointment_url(appointment.pk), {"appointment_date": date}, format="json"
    )
    assert response.status_code == 400
    assert "appointment_date" in response.json()
    appointment.refresh_from_db()
    assert (appointment.start, appointment.status) == before


@pytest.mark.parametrize("date", far_dates())
def test_extreme_dates_cannot_be_blocked(professional, api_client_for, date):
    response = api_client_for(professional).post(
        BLOCKED_DATES, {"date": date, "start_time": "23:00", "end_time": "23:59"}, format="json"
    )
    assert response.status_code == 400
    assert "date" in response.json()
    assert not BlockedDate.objects.exists()


@pytest.mark.parametrize("parameter", ["date_from", "date_to"])
@pytest.mark.parametrize("date", EXTREME_DATES)
def test_extreme_dates_in_list_filters_are_a_400(patient, api_client_for, parameter, date):
    AppointmentFactory(patient=patient)
    response = api_client_for(patient).get(APPOINTMENTS, {parameter: date})
    assert response.status_code == 400
    assert parameter in response.json()


def test_the_booking_service_refuses_extreme_dates_too(patient, professional, weekly_schedule):
    for date in (dt.date.max, dt.date.min):
        with pytest.raises(ValidationError):
            services.appointment_book(
                patient=patient, psychologist=professional, date=date, start_time=dt.time(23, 0)
            )
    assert not Appointment.objects.exists()


def test_dates_inside_the_window_still_work(professional, weekly_schedule, api_client_for):
    last_year = (timezone.localdate() - dt.timedelta(days=365)).isoformat()
    response = api_client_for(None).get(
        AVAILABLE_SLOTS, {"psychologist": professional.pk, "date": last_year}
    )
    assert response.status_code == 200
    assert response.json()["slots"] == []


# -- nested JSON and lone surrogates -------------------------------------------------------

DEEP_ARRAY = "[" * 100_000 + "]" * 100_000
DEEP_OBJECT = '{"a": ' * 40 + "1" + "}" * 40


@pytest.mark.parametrize("body", [DEEP_ARRAY, DEEP_OBJECT], ids=["array", "object"])
def test_deeply_nested_json_is_a_400(patient, professional, api_client_for, body):
    patient_client = api_client_for(patient, language="en")
    response = patient_client.post(APPOINTMENTS, body, content_type="application/json")
    assert response.status_code == 400
    assert "nested too deeply" in response.json()["detail"]
    professional_client = api_client_for(professional)
    for url in (AVAILABILITY, BLOCKED_DATES):
        assert (
            professional_client.post(url, body, content_type="application/json").status_code == 400
        )
    assert not Appointment.objects.exists()
    assert not WeeklyAvailability.objects.exists()


def test_a_lone_surrogate_in_a_reason_is_a_400(
    patient, professional, weekly_schedule, next_monday, api_client_for
):
    body = (
        f'{{"psychologist": {professional.pk}, "appointment_date": "{next_monday.isoformat()}",'
        ' "start_time": "09:00", "reason": "\\ud800"}'
    )
    response = api_client_for(patient, language="en").post(
        APPOINTMENTS, body, content_type="application/json"
    )
    assert response.status_code == 400
    assert "surrogate" in response.json()["detail"]
    assert not Appointment.objects.exists()


# -- Unicode digits ------------------------------------------------------------------------


@pytest.mark.parametrize("time_text", ["٠٩:00", "０９:００", "1٣:00"])
def test_times_take_ascii_digits_only(professional, api_client_for, time_text):
    response = api_client_for(professional).post(
        AVAILABILITY,
        {"day_of_week": 0, "start_time": time_text, "end_time": "18:00"},
        format="json",
    )
    assert response.status_code == 400
    assert "start_time" in response.json()
    assert not WeeklyAvailability.objects.exists()


@pytest.mark.parametrize("psychologist", ["٧", "７"])
def test_ids_in_the_query_take_ascii_digits_only(professional, api_client_for, psychologist):
    response = api_client_for(None).get(
        AVAILABLE_SLOTS, {"psychologist": psychologist, "date": "2030-01-01"}
    )
    assert response.status_code == 400


# -- extreme ids ---------------------------------------------------------------------------


@pytest.mark.parametrize("pk", [HUGE_ID, "9" * 19, "-1"])
def test_extreme_path_ids_are_not_found(appointment, professional, api_client_for, pk):
    patient_client = api_client_for(appointment.patient)
    assert patient_client.get(appointment_url(pk)).status_code == 404
    assert patient_client.post(appointment_url(pk, "cancel"), {"reason": "x"}).status_code == 404
    assert patient_client.patch(appointment_url(pk), {"reason": "x"}).status_code == 404
    professional_client = api_client_for(professional)
    assert professional_client.get(f"{AVAILABILITY}{pk}/").status_code == 404
    assert professional_client.delete(f"{BLOCKED_DATES}{pk}/").status_code == 404


@pytest.mark.parametrize("pk", [HUGE_ID, "-1", "0"])
def test_extreme_psychologist_ids_in_the_query_are_a_400(api_client_for, pk):
    client = api_client_for(None)
    assert client.get(AVAILABILITY, {"psychologist": pk}).status_code == 400
    slots = client.get(AVAILABLE_SLOTS, {"psychologist": pk, "date": "2030-01-01"})
    assert slots.status_code == 400


def test_an_extreme_specialization_in_the_search_finds_nobody(
    professional, weekly_schedule, next_monday, api_client_for
):
    response = api_client_for(None).get(
        SEARCH, {"date": next_monday.isoformat(), "specialization": HUGE_ID}
    )
    assert response.status_code == 200
    assert response.json()["results"] == []


@pytest.mark.parametrize("pk", [99999999999999999999, -1, 0])
def test_an_extreme_psychologist_id_cannot_be_booked(patient, next_monday, post_booking, pk):
    response = post_booking(patient, pk, next_monday, "09:00")
    assert response.status_code == 400
    assert "psychologist" in response.json()
    assert not Appointment.objects.exists()
