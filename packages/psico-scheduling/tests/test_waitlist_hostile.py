"""Hostile input to the waiting list: every one a clear 400 (or 404), never a 5xx, and
nothing stored."""

import datetime as dt

import pytest
from django.utils import timezone
from psico_scheduling.models import WaitlistEntry

from .test_hostile_input import DEEP_ARRAY, DEEP_OBJECT, EXTREME_DATES, FIVE_THOUSAND_WORDS

pytestmark = pytest.mark.django_db

WAITLIST = "/api/appointments/waitlist/"


@pytest.fixture
def post(patient, professional, weekly_schedule, next_monday, api_client_for):
    """``post(**changes)``: a patient's otherwise valid entry with ``changes`` → response."""
    client = api_client_for(patient, language="en")

    def send(**changes):
        body = {
            "psychologist": professional.pk,
            "date_from": next_monday.isoformat(),
            "date_to": next_monday.isoformat(),
            **changes,
        }
        return client.post(WAITLIST, body, format="json")

    return send


def _refused(response, field):
    assert response.status_code == 400, (response.status_code, response.content)
    assert field in response.json(), response.json()
    assert not WaitlistEntry.objects.exists()
    return response.json()[field]


def test_the_valid_entry_is_accepted(post):
    assert post(times=[{"start": "09:00", "end": "12:00"}]).status_code == 201


@pytest.mark.parametrize(
    "times",
    [
        [[["09:00", "10:00"]]],
        [{"start": {"h": 9}, "end": "10:00"}],
        [{"start": ["09:00"], "end": "10:00"}],
        {"start": "09:00", "end": "10:00"},
        "09:00-10:00",
        [{"start": "9:00", "end": "10:00"}],
        [{"start": "٠٩:00", "end": "10:00"}],
        [{"start": "x" * 20_000, "end": "10:00"}],
        [{"start": FIVE_THOUSAND_WORDS, "end": "10:00"}],
        [{"start": "10:00"}],
        [None],
        [{"start": "09:00", "end": "10:00"}] * 9,
        [{"start": f"{hour:02d}:00", "end": f"{hour:02d}:30"} for hour in range(24)] * 500,
    ],
    ids=[
        "nested-lists",
        "object-time",
        "list-time",
        "object-not-list",
        "text-not-list",
        "short-hour",
        "arabic-digits",
        "20000-chars",
        "5000-words",
        "no-end",
        "null-item",
        "too-many",
        "huge",
    ],
)
def test_bad_times_are_refused(post, times):
    _refused(post(times=times), "times")


def test_inverted_and_repeated_times_are_refused(post):
    assert _refused(post(times=[{"start": "12:00", "end": "09:00"}]), "times") == [
        "Each time range must end after it starts."
    ]
    repeated = [{"start": "09:00", "end": "12:00"}, {"start": "09:00", "end": "12:00"}]
    assert _refused(post(times=repeated), "times") == ["Each time range may be given only once."]


@pytest.mark.parametrize("date", [*EXTREME_DATES, "2030-02-30", "٢٠٣٠-01-01", "x" * 20_000])
@pytest.mark.parametrize("field", ["date_from", "date_to"])
def test_extreme_dates_are_refused(post, field, date):
    _refused(post(**{field: date}), field)


def test_an_inverted_window_is_refused(post, next_monday):
    before = (next_monday - dt.timedelta(days=1)).isoformat()
    assert _refused(post(date_to=before), "date_to") == [
        "The last day must be on or after the first day."
    ]


def test_a_past_window_is_refused(post):
    yesterday = (timezone.localdate() - dt.timedelta(days=3)).isoformat()
    assert _refused(post(date_from=yesterday, date_to=yesterday), "date_to") == [
        "The last day has already passed."
    ]


def test_a_window_beyond_the_horizon_is_refused(post, settings):
    settings.PSICO_SCHEDULING = {"MAX_DAYS_AHEAD": 30}
    far = (timezone.localdate() + dt.timedelta(days=60)).isoformat()
    assert _refused(post(date_to=far), "date_to") == [
        "The waiting list covers at most the next 30 days."
    ]


@pytest.mark.parametrize("psychologist", [2**63, 99999999999999999999, -1, 0, "7", "٧", None])
def test_extreme_or_wrong_psychologists_are_refused(post, psychologist):
    _refused(post(psychologist=psychologist), "psychologist")


def test_a_patient_is_not_a_professional_to_wait_for(post, patient):
    assert _refused(post(psychologist=patient.pk), "psychologist") == [
        "The selected user is not a professional who takes appointments."
    ]


def test_a_lone_surrogate_is_a_400(patient, professional, next_monday, api_client_for):
    body = (
        f'{{"psychologist": {professional.pk}, "date_from": "{next_monday.isoformat()}",'
        f' "date_to": "{next_monday.isoformat()}", "times": [{{"start": "\\ud800",'
        ' "end": "10:00"}]}'
    )
    response = api_client_for(patient, language="en").post(
        WAITLIST, body, content_type="application/json"
    )
    assert response.status_code == 400
    assert "surrogate" in response.json()["detail"]
    assert not WaitlistEntry.objects.exists()


@pytest.mark.parametrize("body", [DEEP_ARRAY, DEEP_OBJECT], ids=["array", "object"])
def test_deeply_nested_json_is_a_400(patient, api_client_for, body):
    response = api_client_for(patient).post(WAITLIST, body, content_type="application/json")
    assert response.status_code == 400
    assert not WaitlistEntry.objects.exists()


@pytest.mark.parametrize("pk", ["99999999999999999999", "9" * 19, "-1", "0", "٣"])
def test_extreme_path_ids_are_not_found(patient, api_client_for, pk):
    client = api_client_for(patient)
    assert client.get(f"{WAITLIST}{pk}/").status_code == 404
    assert client.delete(f"{WAITLIST}{pk}/").status_code == 404
