"""The site stores what the packages announce: psico-chat, psico-accounts and psico-scheduling
never import psico-records, yet their audited actions land in its log, with their client."""

import pytest


@pytest.fixture
def people(db):
    from psico_accounts.testing.factories import AdminFactory
    from psico_scheduling.testing.factories import AppointmentFactory

    return AppointmentFactory(), AdminFactory()


def test_a_chat_history_read_is_stored(people, api_client_for):
    from psico_core.audit import AuditAction
    from psico_records.models import AuditEvent

    appointment, _admin = people

    response = api_client_for(appointment.patient).get(
        f"/api/chat/{appointment.pk}/messages/", HTTP_USER_AGENT="PsicoApp/2.1"
    )

    assert response.status_code == 200
    event = AuditEvent.objects.get(action=AuditAction.CHAT_HISTORY_READ)
    assert (event.actor, event.subject) == (appointment.patient, appointment.psychologist)
    assert (event.ip, event.user_agent) == ("127.0.0.1", "PsicoApp/2.1")


def test_a_token_revoked_deep_in_a_service_knows_its_request(people, api_client_for):
    # token_revoke() has no request argument: the site's AuditRequestMiddleware lends it one.
    from psico_core.audit import AuditAction
    from psico_records.models import AuditEvent

    appointment, admin = people

    assert api_client_for(admin).delete(f"/api/users/{appointment.patient.pk}/").status_code == 204

    event = AuditEvent.objects.get(action=AuditAction.TOKEN_REVOKE)
    assert (event.actor, event.subject) == (admin, appointment.patient)
    assert event.ip == "127.0.0.1"


def test_the_access_log_is_served_before_the_users_routes(people, api_client_for):
    appointment, admin = people
    api_client_for(admin).get(f"/api/appointments/appointments/{appointment.pk}/")

    response = api_client_for(appointment.patient).get("/api/users/me/access-log/")

    assert response.status_code == 200
    assert [row["action"] for row in response.data["results"]] == ["admin.appointment_read"]
