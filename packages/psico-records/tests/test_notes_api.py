"""Clinical notes over HTTP: a note's content reaches its author and nobody else."""

import pytest
from django.contrib import admin
from psico_core.audit import AuditAction
from psico_records.models import AuditEvent, ClinicalNote, NoteRevision
from psico_records.testing.factories import ClinicalNoteFactory

NOTES = "/api/records/notes/"
SECRET = "Refiere insomnio desde la separación; explorar duelo."


def detail(note) -> str:
    return f"{NOTES}{note.pk}/"


@pytest.fixture
def note(appointment):
    return ClinicalNoteFactory(appointment=appointment, content=SECRET)


def test_the_professional_writes_a_note_on_their_appointment(
    api_client_for, professional, appointment
):
    response = api_client_for(professional).post(
        NOTES, {"appointment": appointment.pk, "content": SECRET}, format="json"
    )

    assert response.status_code == 201, response.data
    assert response.data["content"] == SECRET
    assert response.data["author"] == professional.pk
    note = ClinicalNote.objects.get(pk=response.data["id"])
    assert note.content == SECRET
    event = AuditEvent.objects.get(action=AuditAction.NOTE_CREATE)
    assert (event.actor, event.object_type, event.object_id) == (professional, "note", str(note.pk))
    assert event.subject == appointment.patient
    assert event.ip == "127.0.0.1"


def test_another_professionals_appointment_is_not_found(
    api_client_for, other_professional, appointment
):
    response = api_client_for(other_professional).post(
        NOTES, {"appointment": appointment.pk, "content": SECRET}, format="json"
    )

    assert response.status_code == 400
    assert "appointment" in response.data
    assert not ClinicalNote.objects.exists()


@pytest.mark.parametrize("who", ["patient", "clinic_admin"])
def test_only_professionals_write_notes(request, api_client_for, appointment, who):
    response = api_client_for(request.getfixturevalue(who)).post(
        NOTES, {"appointment": appointment.pk, "content": SECRET}, format="json"
    )

    assert response.status_code == 403
    assert not ClinicalNote.objects.exists()


def test_the_author_lists_and_reads_their_notes_with_content(api_client_for, professional, note):
    client = api_client_for(professional)

    listed = client.get(NOTES, {"appointment": note.appointment_id})
    read = client.get(detail(note))

    assert [row["content"] for row in listed.data["results"]] == [SECRET]
    assert read.status_code == 200
    assert read.data["content"] == SECRET
    read_event = AuditEvent.objects.get(action=AuditAction.NOTE_READ)
    assert (read_event.actor, read_event.object_id) == (professional, str(note.pk))
    assert AuditEvent.objects.filter(action=AuditAction.NOTE_LIST, actor=professional).exists()


def test_another_professional_neither_lists_nor_reads_it(api_client_for, other_professional, note):
    client = api_client_for(other_professional)

    assert client.get(NOTES).data["results"] == []
    assert client.get(detail(note)).status_code == 404
    assert client.patch(detail(note), {"content": "x"}, format="json").status_code == 404
    assert client.get(f"{detail(note)}revisions/").status_code == 404


def test_the_patient_is_refused(api_client_for, patient, note):
    client = api_client_for(patient)

    assert client.get(NOTES).status_code == 403
    assert client.get(detail(note)).status_code == 403


def test_a_clinic_admin_sees_that_notes_exist_never_their_content(
    api_client_for, clinic_admin, note
):
    client = api_client_for(clinic_admin)

    listed = client.get(NOTES)
    read = client.get(detail(note))

    assert [row["id"] for row in listed.data["results"]] == [note.pk]
    assert "content" not in listed.data["results"][0]
    assert read.status_code == 200
    assert "content" not in read.data
    assert SECRET not in str(listed.content) + str(read.content)
    assert client.patch(detail(note), {"content": "x"}, format="json").status_code == 403
    assert client.get(f"{detail(note)}revisions/").status_code == 403
    assert AuditEvent.objects.filter(action=AuditAction.NOTE_READ, actor=clinic_admin).exists()


def test_a_change_keeps_the_earlier_text(api_client_for, professional, note):
    client = api_client_for(professional)

    changed = client.patch(detail(note), {"content": "Segunda versión"}, format="json")
    replaced = client.put(detail(note), {"content": "Tercera versión"}, format="json")
    history = client.get(f"{detail(note)}revisions/")

    assert changed.status_code == 200 and replaced.status_code == 200
    assert replaced.data["content"] == "Tercera versión"
    assert replaced.data["revision_count"] == 2
    assert [row["content"] for row in history.data["results"]] == ["Segunda versión", SECRET]
    assert AuditEvent.objects.filter(action=AuditAction.NOTE_UPDATE).count() == 2
    assert AuditEvent.objects.filter(action=AuditAction.NOTE_HISTORY_READ).count() == 1


def test_the_same_text_again_keeps_no_revision(api_client_for, professional, note):
    response = api_client_for(professional).patch(detail(note), {"content": SECRET}, format="json")

    assert response.status_code == 200
    assert not NoteRevision.objects.exists()


def test_notes_are_never_deleted(api_client_for, professional, clinic_admin, note):
    for user in (professional, clinic_admin):
        assert api_client_for(user).delete(detail(note)).status_code == 405
    assert ClinicalNote.objects.filter(pk=note.pk).exists()


def test_anonymous_is_refused(api_client_for, note):
    assert api_client_for(None).get(NOTES).status_code == 401
    assert api_client_for(None).get(detail(note)).status_code == 401


def test_notes_are_not_in_the_django_admin():
    assert ClinicalNote not in admin.site._registry
    assert NoteRevision not in admin.site._registry


def test_the_list_costs_the_same_for_many_notes(
    api_client_for, professional, appointment, django_assert_max_num_queries
):
    ClinicalNoteFactory.create_batch(5, appointment=appointment)
    client = api_client_for(professional)

    # token, user, count, page, audit insert
    with django_assert_max_num_queries(6):
        response = client.get(NOTES)

    assert len(response.data["results"]) == 5


@pytest.mark.parametrize(
    ("language", "message"),
    [("es", "La nota no puede estar vacía."), ("en", "The note cannot be empty.")],
)
def test_refusals_speak_the_clients_language(
    api_client_for, professional, appointment, language, message
):
    response = api_client_for(professional, language=language).post(
        NOTES, {"appointment": appointment.pk, "content": "  "}, format="json"
    )

    assert response.status_code == 400
    assert response.data["content"] == [message]
