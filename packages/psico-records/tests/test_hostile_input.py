"""Hostile bodies and query strings: 400, never 5xx, and nothing stored."""

import json

import pytest
from psico_records.models import ClinicalNote
from psico_records.testing.factories import ClinicalNoteFactory

NOTES = "/api/records/notes/"
HOSTILE_TEXTS = [
    "x" * 20_000,
    "palabra " * 5_000,
    "\ud800",
    "hola \udfff",
    "texto\x00nulo",
    "   ",
    {"nested": {"deeper": [1, 2, {"x": "y"}]}},
    ["lista"],
    12,
]
JSON = "application/json"


def raw_json(body) -> bytes:
    """The body as a client may send it: lone surrogates escaped as \\uXXXX, as JSON allows."""
    return json.dumps(body).encode()


HOSTILE_IDS = [2**63, -1, 0, "٣", "1.5", "9999-12-31", {"id": 1}, None, ""]
HOSTILE_QUERIES = ["٣", str(2**63), "0001-01-01", "x" * 20_000, "-5"]


@pytest.mark.parametrize("content", HOSTILE_TEXTS)
def test_a_hostile_note_is_refused(api_client_for, professional, appointment, content):
    response = api_client_for(professional).post(
        NOTES, raw_json({"appointment": appointment.pk, "content": content}), content_type=JSON
    )

    assert response.status_code == 400, response.content[:200]
    assert not ClinicalNote.objects.exists()


@pytest.mark.parametrize("appointment_id", HOSTILE_IDS)
def test_a_hostile_appointment_id_is_refused(api_client_for, professional, appointment_id):
    response = api_client_for(professional).post(
        NOTES, {"appointment": appointment_id, "content": "Nota"}, format="json"
    )

    assert response.status_code == 400


@pytest.mark.parametrize("content", HOSTILE_TEXTS)
def test_a_hostile_change_is_refused(api_client_for, professional, appointment, content):
    note = ClinicalNoteFactory(appointment=appointment, content="Original")

    response = api_client_for(professional).patch(
        f"{NOTES}{note.pk}/", raw_json({"content": content}), content_type=JSON
    )

    assert response.status_code == 400
    note.refresh_from_db()
    assert note.content == "Original"


def test_a_deeply_nested_body_is_refused(api_client_for, professional):
    body = '{"content": ' + "[" * 5_000 + "]" * 5_000 + "}"

    response = api_client_for(professional).post(NOTES, body, content_type="application/json")

    assert response.status_code == 400


@pytest.mark.parametrize("value", HOSTILE_QUERIES)
def test_a_hostile_appointment_filter_is_refused(api_client_for, professional, value):
    assert api_client_for(professional).get(NOTES, {"appointment": value}).status_code == 400


@pytest.mark.parametrize("pk", [2**63, "٣"])
def test_a_huge_or_foreign_note_id_is_not_found(api_client_for, professional, pk):
    assert api_client_for(professional).get(f"{NOTES}{pk}/").status_code == 404


@pytest.mark.parametrize(
    "params",
    [
        {"actor": 2**63},
        {"actor": "٣"},
        {"subject": "-1"},
        {"action": "note.burn"},
        {"object_type": "x" * 20_000},
        {"object_id": "x" * 65},
        {"date_from": "9999-12-32"},
        {"date_to": "0000-01-01"},
        {"date_from": "٣"},
    ],
)
def test_hostile_audit_filters_are_refused(api_client_for, clinic_admin, params):
    assert api_client_for(clinic_admin).get("/api/audit/events/", params).status_code == 400


@pytest.mark.parametrize("params", [{"date_from": "9999-12-31"}, {"date_to": "0001-01-01"}])
def test_extreme_audit_dates_answer_an_empty_page(api_client_for, clinic_admin, params):
    response = api_client_for(clinic_admin).get("/api/audit/events/", params)

    assert response.status_code == 200
    assert response.data["results"] == []
