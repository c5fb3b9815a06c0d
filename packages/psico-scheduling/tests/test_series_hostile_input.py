"""Hostile input to the series endpoints: every value answers a clear 400 (or 404), never a
5xx, and books nothing."""

import datetime as dt
import json

import pytest
from psico_scheduling import services
from psico_scheduling.models import Appointment, AppointmentSeries, AppointmentStatus

pytestmark = pytest.mark.django_db

SERIES = "/api/appointments/series/"
TWENTY_THOUSAND = "x" * 20_000
FIVE_THOUSAND_WORDS = " ".join(f"word{n}" for n in range(5000))
NESTED = [[[[{"a": [[[{"b": 1}]]]}]]]]
HUGE_ID = 2**63
EXTREME_DATES = ["9999-12-31", "0001-01-01"]
# Values every field refuses (each field's own type is tried on the others below).
HOSTILE = [
    TWENTY_THOUSAND,
    FIVE_THOUSAND_WORDS,
    NESTED,
    {"nested": NESTED},
    "٣",
    "١٢:٠٠",
    HUGE_ID,
    -HUGE_ID,
    1.5,
    True,
    None,
    *EXTREME_DATES,
]


@pytest.fixture
def valid_body(professional, weekly_schedule, next_monday):
    return {
        "psychologist": professional.pk,
        "start_date": next_monday.isoformat(),
        "start_time": "09:00",
        "frequency": "weekly",
        "count": 3,
        "reason": "Terapia",
    }


def _nothing_booked():
    assert not AppointmentSeries.objects.exists()
    assert not Appointment.objects.exists()


SERIES_FIELDS = (
    "psychologist",
    "start_date",
    "start_time",
    "frequency",
    "count",
    "until",
    "all_or_nothing",
)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        pytest.param(field, value, id=f"{field}-{repr(value)[:30]}")
        for field in SERIES_FIELDS
        for value in HOSTILE
        # True is a valid all_or_nothing.
        if not (field == "all_or_nothing" and value is True)
    ],
)
def test_hostile_values_in_a_series_body_are_a_400(
    patient, api_client_for, valid_body, field, value
):
    body = {**valid_body, field: value}
    if field == "until":
        body.pop("count")
    response = api_client_for(patient).post(SERIES, body, format="json")
    assert response.status_code == 400, (response.status_code, response.content[:300])
    assert field in response.json() or "count" in response.json()
    _nothing_booked()


@pytest.mark.parametrize("value", [TWENTY_THOUSAND, NESTED, 42, HUGE_ID], ids=repr)
def test_a_hostile_reason_is_a_400(patient, api_client_for, valid_body, value):
    response = api_client_for(patient).post(SERIES, {**valid_body, "reason": value}, format="json")
    assert response.status_code == 400
    assert "reason" in response.json()
    _nothing_booked()


def test_five_thousand_words_of_reason_are_within_the_limit_or_refused(
    patient, api_client_for, valid_body
):
    # 5,000 words are more than 2,000 characters: refused on the reason.
    response = api_client_for(patient).post(
        SERIES, {**valid_body, "reason": FIVE_THOUSAND_WORDS}, format="json"
    )
    assert response.status_code == 400
    assert "reason" in response.json()


@pytest.mark.parametrize("body", ["[" * 100_000 + "]" * 100_000, '{"a": ' * 40 + "1" + "}" * 40])
def test_deeply_nested_series_bodies_are_a_400(patient, api_client_for, body):
    response = api_client_for(patient, language="en").post(
        SERIES, body, content_type="application/json"
    )
    assert response.status_code == 400
    assert "nested too deeply" in response.json()["detail"]
    _nothing_booked()


def test_a_lone_surrogate_in_a_series_is_a_400(patient, api_client_for, valid_body):
    body = json.dumps(valid_body)[:-1] + ', "reason": "\\ud800"}'
    response = api_client_for(patient, language="en").post(
        SERIES, body, content_type="application/json"
    )
    assert response.status_code == 400
    assert "surrogate" in response.json()["detail"]
    _nothing_booked()


def test_a_body_that_is_not_an_object_is_a_400(patient, api_client_for):
    for body in ([], "text", 3):
        response = api_client_for(patient).post(SERIES, body, format="json")
        assert response.status_code == 400


# -- the series' own ids and the cancel body -------------------------------------------------


@pytest.fixture
def series(patient, professional, weekly_schedule, next_monday):
    return services.appointment_series_book(
        patient=patient,
        psychologist=professional,
        start_date=next_monday,
        start_time=dt.time(9),
        frequency="weekly",
        count=3,
    )


@pytest.mark.parametrize("pk", [str(HUGE_ID), "99999999999999999999", "٣", "-1", "0", "x" * 200])
def test_hostile_series_ids_are_a_404(patient, api_client_for, pk):
    client = api_client_for(patient)
    assert client.get(f"{SERIES}{pk}/").status_code == 404
    cancel = client.post(f"{SERIES}{pk}/cancel/", {"reason": "Viaje"}, format="json")
    assert cancel.status_code == 404


@pytest.mark.parametrize("value", HOSTILE, ids=lambda value: repr(value)[:30])
def test_hostile_cancel_dates_are_a_400(series, patient, api_client_for, value):
    response = api_client_for(patient).post(
        f"{SERIES}{series.pk}/cancel/", {"from_date": value, "reason": "Viaje"}, format="json"
    )
    assert response.status_code == 400, response.content[:300]
    assert "from_date" in response.json()
    assert not Appointment.objects.filter(status=AppointmentStatus.CANCELLED).exists()


@pytest.mark.parametrize("value", [TWENTY_THOUSAND, FIVE_THOUSAND_WORDS, NESTED, HUGE_ID])
def test_hostile_cancel_reasons_are_a_400(series, patient, api_client_for, value):
    response = api_client_for(patient).post(
        f"{SERIES}{series.pk}/cancel/", {"reason": value}, format="json"
    )
    assert response.status_code == 400
    assert "reason" in response.json()
    assert not Appointment.objects.filter(status=AppointmentStatus.CANCELLED).exists()


@pytest.mark.parametrize("page", ["٣", str(HUGE_ID), "x" * 20_000, "-1"])
def test_hostile_pages_of_the_series_list_are_refused(series, patient, api_client_for, page):
    response = api_client_for(patient).get(SERIES, {"page": page})
    assert response.status_code in (400, 404)


def test_refusals_are_in_spanish_by_default(patient, api_client_for, valid_body):
    body = {**valid_body, "count": 3, "until": valid_body["start_date"]}
    response = api_client_for(patient).post(SERIES, body, format="json")
    assert response.json()["count"] == ["Indique count o until, no ambos."]
