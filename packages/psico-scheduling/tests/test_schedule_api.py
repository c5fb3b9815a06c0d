"""Weekly availability rules and blocked dates over HTTP."""

import datetime as dt

import pytest
from django.utils import timezone
from psico_accounts.testing.factories import ProfessionalFactory
from psico_scheduling.models import BlockedDate, WeeklyAvailability
from psico_scheduling.testing.factories import BlockedDateFactory, WeeklyAvailabilityFactory

from .conftest import AVAILABILITY, BLOCKED_DATES, messages

pytestmark = pytest.mark.django_db


def rule_url(pk):
    return f"{AVAILABILITY}{pk}/"


def test_a_professional_adds_and_lists_rules(professional, api_client_for):
    client = api_client_for(professional)
    created = client.post(
        AVAILABILITY,
        {"day_of_week": 2, "start_time": "08:00", "end_time": "12:00"},
        format="json",
    )
    assert created.status_code == 201
    assert created.json() == {
        "id": created.json()["id"],
        "psychologist": professional.pk,
        "day_of_week": 2,
        "start_time": "08:00",
        "end_time": "12:00",
        "is_active": True,
    }
    client.post(
        AVAILABILITY, {"day_of_week": 2, "start_time": "14:00", "end_time": "18:00"}, format="json"
    )
    listed = client.get(AVAILABILITY)
    assert listed.status_code == 200
    assert [(r["start_time"], r["end_time"]) for r in listed.json()] == [
        ("08:00", "12:00"),
        ("14:00", "18:00"),
    ]


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (None, "Este horario se superpone con otro horario activo suyo del mismo día."),
        ("en", "This range overlaps another active range of yours on the same day."),
    ],
)
def test_overlapping_active_rules_are_refused(professional, api_client_for, language, expected):
    WeeklyAvailabilityFactory(
        psychologist=professional, day_of_week=1, start_time=dt.time(8), end_time=dt.time(12)
    )
    client = api_client_for(professional, language=language)
    response = client.post(
        AVAILABILITY,
        {"day_of_week": 1, "start_time": "11:00", "end_time": "13:00"},
        format="json",
    )
    assert messages(response) == [expected]
    # Touching ranges, another day, or an inactive range are fine.
    for payload in (
        {"day_of_week": 1, "start_time": "12:00", "end_time": "13:00"},
        {"day_of_week": 3, "start_time": "11:00", "end_time": "13:00"},
        {"day_of_week": 1, "start_time": "09:00", "end_time": "10:00", "is_active": False},
    ):
        assert client.post(AVAILABILITY, payload, format="json").status_code == 201
    # ...but that inactive range cannot be switched on while it overlaps.
    inactive = WeeklyAvailability.objects.get(psychologist=professional, is_active=False)
    response = client.patch(rule_url(inactive.pk), {"is_active": True}, format="json")
    assert messages(response) == [expected]


def test_another_professionals_rules_do_not_overlap_mine(professional, api_client_for):
    WeeklyAvailabilityFactory(day_of_week=1, start_time=dt.time(8), end_time=dt.time(12))
    response = api_client_for(professional).post(
        AVAILABILITY,
        {"day_of_week": 1, "start_time": "08:00", "end_time": "12:00"},
        format="json",
    )
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("payload", "field", "expected"),
    [
        (
            {"start_time": "12:00", "end_time": "08:00"},
            "end_time",
            "The end time must be later than the start time.",
        ),
        (
            {"start_time": "08:00:30", "end_time": "09:00"},
            "start_time",
            "Enter a time as HH:MM (24 hours), e.g. 09:00.",
        ),
        # strptime alone would read these; the documented pattern does not.
        ({"start_time": "8:00"}, "start_time", "Enter a time as HH:MM (24 hours), e.g. 09:00."),
        ({"end_time": "12:00\n"}, "end_time", "Enter a time as HH:MM (24 hours), e.g. 09:00."),
        ({"end_time": 1200}, "end_time", "Must be a JSON string (received: integer)."),
        ({"day_of_week": "1"}, "day_of_week", "Must be a JSON integer (received: string)."),
        ({"is_active": "true"}, "is_active", "Must be a JSON boolean (received: string)."),
        ({"day_of_week": 7}, "day_of_week", None),
    ],
)
def test_bad_ranges_are_refused(professional, api_client_for, payload, field, expected):
    body = {"day_of_week": 0, "start_time": "08:00", "end_time": "12:00", **payload}
    response = api_client_for(professional, language="en").post(AVAILABILITY, body, format="json")
    errors = messages(response, field)
    if expected:
        assert errors == [expected]


def test_a_professional_edits_and_deletes_own_rules(professional, api_client_for):
    rule = WeeklyAvailabilityFactory(psychologist=professional)
    client = api_client_for(professional)
    response = client.patch(rule_url(rule.pk), {"end_time": "13:00"}, format="json")
    assert response.status_code == 200
    assert response.json()["end_time"] == "13:00"
    assert client.delete(rule_url(rule.pk)).status_code == 204
    assert not WeeklyAvailability.objects.filter(pk=rule.pk).exists()


def test_others_rules_are_404_and_other_roles_403(professional, patient, api_client_for):
    foreign = WeeklyAvailabilityFactory()
    client = api_client_for(professional)
    assert (
        client.patch(rule_url(foreign.pk), {"end_time": "13:00"}, format="json").status_code == 404
    )
    assert client.delete(rule_url(foreign.pk)).status_code == 404
    own = WeeklyAvailabilityFactory(psychologist=professional)
    patient_client = api_client_for(patient)
    assert patient_client.get(AVAILABILITY).status_code == 403
    assert patient_client.post(AVAILABILITY, {}, format="json").status_code == 403
    assert patient_client.delete(rule_url(own.pk)).status_code == 403
    assert api_client_for(None).get(AVAILABILITY).status_code == 401
    assert WeeklyAvailability.objects.filter(pk=foreign.pk).exists()


def test_anyone_reads_a_professionals_active_rules(professional, api_client_for):
    WeeklyAvailabilityFactory(psychologist=professional, day_of_week=0)
    WeeklyAvailabilityFactory(psychologist=professional, day_of_week=1, is_active=False)
    WeeklyAvailabilityFactory(day_of_week=2)
    response = api_client_for(None).get(AVAILABILITY, {"psychologist": professional.pk})
    assert response.status_code == 200
    assert [rule["day_of_week"] for rule in response.json()] == [0]


def test_public_rules_of_a_non_professional_are_404_and_bad_ids_400(patient, api_client_for):
    client = api_client_for(None)
    assert client.get(AVAILABILITY, {"psychologist": patient.pk}).status_code == 404
    assert client.get(AVAILABILITY, {"psychologist": 999999}).status_code == 404
    assert list(messages(client.get(AVAILABILITY, {"psychologist": "abc"}), "psychologist"))


# -- blocked dates ---------------------------------------------------------------------------


def test_a_professional_blocks_a_day_and_a_range(professional, api_client_for):
    client = api_client_for(professional)
    day = timezone.localdate() + dt.timedelta(days=10)
    whole = client.post(
        BLOCKED_DATES, {"date": day.isoformat(), "reason": "Congreso"}, format="json"
    )
    ranged = client.post(
        BLOCKED_DATES,
        {"date": day.isoformat(), "start_time": "14:00", "end_time": "16:00"},
        format="json",
    )
    assert (whole.status_code, ranged.status_code) == (201, 201)
    assert whole.json()["start_time"] is None
    assert ranged.json()["start_time"] == "14:00"
    listed = client.get(BLOCKED_DATES).json()
    assert [b["id"] for b in listed] == [whole.json()["id"], ranged.json()["id"]]
    assert client.delete(f"{BLOCKED_DATES}{whole.json()['id']}/").status_code == 204
    assert BlockedDate.objects.filter(psychologist=professional).count() == 1


@pytest.mark.parametrize(
    ("payload", "key", "language", "expected"),
    [
        ({"date": "past"}, "date", None, "No puede bloquear una fecha pasada."),
        ({"date": "past"}, "date", "en", "You cannot block a date in the past."),
        (
            {"start_time": "14:00"},
            "non_field_errors",
            "en",
            "Give both a start and an end time, or neither to block the day.",
        ),
        (
            {"start_time": "14:00"},
            "non_field_errors",
            None,
            "Indique la hora de inicio y la de fin, o ninguna para bloquear el día completo.",
        ),
        (
            {"start_time": "16:00", "end_time": "14:00"},
            "end_time",
            "en",
            "The end time must be later than the start time.",
        ),
        # DRF alone would store the number as the text "0".
        ({"reason": 0}, "reason", "en", "Must be a JSON string (received: integer)."),
        (
            {"reason": 0},
            "reason",
            "es",
            "Debe ser un valor JSON de tipo cadena (recibido: entero).",
        ),
    ],
)
def test_bad_blocked_dates_are_refused(
    professional, api_client_for, payload, key, language, expected
):
    day = timezone.localdate() + dt.timedelta(days=3)
    if payload.get("date") == "past":
        payload = {"date": (timezone.localdate() - dt.timedelta(days=1)).isoformat()}
    body = {"date": day.isoformat(), **payload}
    response = api_client_for(professional, language=language).post(
        BLOCKED_DATES, body, format="json"
    )
    assert messages(response, key) == [expected]


def test_blocked_dates_are_private(professional, patient, api_client_for):
    foreign = BlockedDateFactory(psychologist=ProfessionalFactory())
    client = api_client_for(professional)
    assert client.get(BLOCKED_DATES).json() == []
    assert client.delete(f"{BLOCKED_DATES}{foreign.pk}/").status_code == 404
    assert api_client_for(patient).get(BLOCKED_DATES).status_code == 403
    assert api_client_for(None).get(BLOCKED_DATES).status_code == 401
    assert BlockedDate.objects.filter(pk=foreign.pk).exists()
