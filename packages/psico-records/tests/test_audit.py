"""The audit log: every audited action leaves an event (who, what, when, from where, never
content); nobody can change or delete one; clinic admins list and filter it."""

import pytest
from django.contrib import admin
from django.contrib.auth.tokens import default_token_generator
from django.db import connection
from django.test import RequestFactory
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from psico_accounts.testing.factories import TEST_PASSWORD
from psico_core.audit import AuditAction, audit_event
from psico_records.models import AppendOnlyError, AuditEvent
from psico_scheduling.testing.factories import AppointmentFactory

EVENTS = "/api/audit/events/"
AGENT = "Mozilla/5.0 (Clinic tablet)"


def only_event(action) -> AuditEvent:
    return AuditEvent.objects.get(action=action)


def test_a_login_is_recorded_with_its_client(api_client_for, patient):
    client = api_client_for(None)

    response = client.post(
        "/api/auth/login/",
        {"email": patient.email, "password": TEST_PASSWORD},
        format="json",
        HTTP_USER_AGENT=AGENT,
        REMOTE_ADDR="203.0.113.7",
    )

    assert response.status_code == 200
    event = only_event(AuditAction.LOGIN)
    assert (event.actor, event.subject, event.object_id) == (patient, patient, str(patient.pk))
    assert (event.ip, event.user_agent) == ("203.0.113.7", AGENT)


def test_the_client_address_is_the_connections_never_a_forwarded_header(api_client_for, patient):
    # X-Forwarded-For is the ASGI server's to read, from trusted proxies only (REMOTE_ADDR).
    api_client_for(None).post(
        "/api/auth/login/",
        {"email": patient.email, "password": TEST_PASSWORD},
        format="json",
        HTTP_X_FORWARDED_FOR="198.51.100.66",
    )

    assert only_event(AuditAction.LOGIN).ip == "127.0.0.1"


def test_a_failed_login_names_the_account_tried_not_the_password(api_client_for, patient):
    response = api_client_for(None).post(
        "/api/auth/login/", {"email": patient.email, "password": "wrong-guess"}, format="json"
    )

    assert response.status_code == 400
    event = only_event(AuditAction.LOGIN_FAILED)
    assert event.actor is None
    assert (event.object_type, event.object_id) == ("user", str(patient.pk))
    row = AuditEvent.objects.filter(pk=event.pk).values().get()
    assert "wrong-guess" not in str(row)


def test_a_failed_login_for_an_unknown_address_names_nobody(api_client_for):
    api_client_for(None).post(
        "/api/auth/login/", {"email": "nadie@example.com", "password": "x"}, format="json"
    )

    event = only_event(AuditAction.LOGIN_FAILED)
    assert (event.object_id, event.subject) == ("", None)
    assert "nadie" not in str(AuditEvent.objects.filter(pk=event.pk).values().get())


def test_a_password_change_and_the_token_it_revokes(api_client_for, patient):
    response = api_client_for(patient).post(
        "/api/auth/password-change/",
        {"old_password": TEST_PASSWORD, "new_password": "Una-clave-nueva-2024"},
        format="json",
    )

    assert response.status_code == 200
    change = only_event(AuditAction.PASSWORD_CHANGE)
    revoke = only_event(AuditAction.TOKEN_REVOKE)
    assert change.actor == revoke.actor == patient
    assert revoke.object_id == str(patient.pk)


def test_a_password_reset(api_client_for, patient):
    response = api_client_for(None).post(
        "/api/auth/password-reset/confirm/",
        {
            "uid": urlsafe_base64_encode(force_bytes(patient.pk)),
            "token": default_token_generator.make_token(patient),
            "new_password": "Una-clave-nueva-2024",
        },
        format="json",
    )

    assert response.status_code == 200
    event = only_event(AuditAction.PASSWORD_RESET)
    assert (event.actor, event.subject) == (patient, patient)
    assert AuditEvent.objects.filter(action=AuditAction.TOKEN_REVOKE, subject=patient).exists()


def test_a_logout_revokes_the_token(api_client_for, professional):
    assert api_client_for(professional).post("/api/auth/logout/").status_code == 204

    event = only_event(AuditAction.TOKEN_REVOKE)
    assert (event.actor, event.subject) == (professional, professional)


def test_an_admin_reading_a_user_is_recorded(api_client_for, clinic_admin, patient):
    client = api_client_for(clinic_admin)

    client.get("/api/users/")
    client.get(f"/api/users/{patient.pk}/")

    read = only_event(AuditAction.ADMIN_USER_READ)
    assert (read.actor, read.subject, read.object_id) == (clinic_admin, patient, str(patient.pk))
    assert only_event(AuditAction.ADMIN_USER_LIST).actor == clinic_admin


def test_an_admin_reading_an_appointment_is_recorded(api_client_for, clinic_admin, appointment):
    client = api_client_for(clinic_admin)

    client.get("/api/appointments/appointments/")
    client.get(f"/api/appointments/appointments/{appointment.pk}/")

    read = only_event(AuditAction.ADMIN_APPOINTMENT_READ)
    assert (read.actor, read.subject) == (clinic_admin, appointment.patient)
    assert read.object_id == str(appointment.pk)
    assert only_event(AuditAction.ADMIN_APPOINTMENT_LIST).actor == clinic_admin


def test_participants_reading_their_own_appointment_are_not_admin_reads(
    api_client_for, patient, appointment
):
    api_client_for(patient).get(f"/api/appointments/appointments/{appointment.pk}/")
    api_client_for(patient).get("/api/appointments/appointments/")

    assert not AuditEvent.objects.filter(action__startswith="admin.").exists()


# --- append-only -----------------------------------------------------------------------


def test_an_event_cannot_be_changed_or_deleted(patient):
    audit_event(action=AuditAction.LOGIN, actor=patient)
    event = AuditEvent.objects.get()

    event.object_id = "forged"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(object_id="forged")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get().object_id == ""


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
def test_postgresql_refuses_raw_updates_and_deletes(patient):
    from django.db import DatabaseError, transaction

    audit_event(action=AuditAction.LOGIN, actor=patient)
    event = AuditEvent.objects.get()

    for sql in (
        "UPDATE psico_records_auditevent SET object_id = 'forged' WHERE id = %s",
        "DELETE FROM psico_records_auditevent WHERE id = %s",
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(sql, [event.pk])
    assert AuditEvent.objects.get().object_id == ""


def test_the_django_admin_shows_events_read_only(clinic_admin):
    from psico_accounts.testing.factories import AdminFactory

    model_admin = admin.site._registry[AuditEvent]
    request = RequestFactory().get("/admin/")
    request.user = AdminFactory(is_superuser=True, is_staff=True)

    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)


def test_the_admin_changelist_answers(client, patient):
    from psico_accounts.testing.factories import AdminFactory

    audit_event(action=AuditAction.LOGIN, actor=patient, subject=patient)
    client.force_login(AdminFactory(is_superuser=True, is_staff=True))

    response = client.get("/admin/psico_records/auditevent/")

    assert response.status_code == 200
    assert (
        client.post(
            f"/admin/psico_records/auditevent/{AuditEvent.objects.first().pk}/delete/",
            {"post": "yes"},
        ).status_code
        == 403
    )
    assert AuditEvent.objects.filter(actor=patient).exists()


# --- the API ---------------------------------------------------------------------------


def test_admins_list_and_filter_the_log(api_client_for, clinic_admin, patient, professional):
    audit_event(action=AuditAction.LOGIN, actor=patient, object_type="user", object_id=patient.pk)
    audit_event(action=AuditAction.LOGIN, actor=professional)
    audit_event(action=AuditAction.NOTE_READ, actor=professional, object_type="note", object_id=9)
    client = api_client_for(clinic_admin)

    everything = client.get(EVENTS).data
    logins = client.get(EVENTS, {"action": "auth.login"}).data
    by_patient = client.get(EVENTS, {"actor": patient.pk}).data
    note_nine = client.get(EVENTS, {"object_type": "note", "object_id": "9"}).data
    today = client.get(EVENTS, {"date_from": "2000-01-01", "date_to": "2999-12-31"}).data

    assert everything["count"] == 3
    assert logins["count"] == 2
    assert [row["actor"] for row in by_patient["results"]] == [patient.pk]
    assert [row["action"] for row in note_nine["results"]] == ["note.read"]
    assert today["count"] == 3


@pytest.mark.parametrize("who", ["patient", "professional"])
def test_only_admins_read_the_log(request, api_client_for, who):
    assert api_client_for(request.getfixturevalue(who)).get(EVENTS).status_code == 403
    assert api_client_for(None).get(EVENTS).status_code == 401


def test_the_log_cannot_be_written_through_the_api(api_client_for, clinic_admin):
    client = api_client_for(clinic_admin)

    assert client.post(EVENTS, {"action": "auth.login"}, format="json").status_code == 405
    assert client.delete(f"{EVENTS}1/").status_code == 404


def test_the_log_costs_the_same_for_many_events(
    api_client_for, clinic_admin, patient, django_assert_max_num_queries
):
    for _ in range(15):
        audit_event(action=AuditAction.LOGIN, actor=patient, subject=patient)
    client = api_client_for(clinic_admin)

    with django_assert_max_num_queries(4):
        response = client.get(EVENTS)

    assert response.data["count"] == 15


# --- a user's access log ---------------------------------------------------------------


def test_a_patient_sees_who_read_their_data_and_when(
    api_client_for, clinic_admin, patient, professional
):
    from psico_records.testing.factories import ClinicalNoteFactory

    appointment = AppointmentFactory(patient=patient, psychologist=professional)
    note = ClinicalNoteFactory(appointment=appointment, content="Muy privado")
    api_client_for(clinic_admin).get(f"/api/users/{patient.pk}/")
    api_client_for(professional).get(f"/api/records/notes/{note.pk}/")
    api_client_for(patient).get(f"/api/appointments/appointments/{appointment.pk}/")

    response = api_client_for(patient).get("/api/users/me/access-log/")

    assert response.status_code == 200
    rows = response.data["results"]
    assert [(row["action"], row["actor"]["id"]) for row in rows] == [
        ("note.read", professional.pk),
        ("admin.user_read", clinic_admin.pk),
    ]
    assert rows[0]["actor"]["role"] == "professional"
    assert rows[0]["occurred_at"]
    assert "Muy privado" not in response.content.decode()
    # Their own logins and reads are not someone else's access.
    assert all(row["actor"]["id"] != patient.pk for row in rows)


def test_nobody_sees_another_users_access_log(api_client_for, clinic_admin, patient, other_patient):
    api_client_for(clinic_admin).get(f"/api/users/{patient.pk}/")

    assert api_client_for(other_patient).get("/api/users/me/access-log/").data["results"] == []
    assert api_client_for(None).get("/api/users/me/access-log/").status_code == 401


@pytest.mark.parametrize("address", ["unix:/run/psico.sock", "", "::ffff:not-an-ip"])
def test_a_client_without_an_ip_address_is_recorded_without_one(patient, address):
    from psico_core.audit import AuditClient

    audit_event(action=AuditAction.LOGIN, actor=patient, client=AuditClient(address, "agent"))

    event = AuditEvent.objects.get()
    assert (event.ip, event.user_agent) == (None, "agent")
