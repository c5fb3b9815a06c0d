"""``/api/notifications/preferences/``: each signed-in user reads and changes their own."""

import pytest
from psico_accounts.testing.factories import AdminFactory, PatientFactory, ProfessionalFactory
from psico_notifications.models import NotificationPreference

pytestmark = pytest.mark.django_db

PREFERENCES = "/api/notifications/preferences/"
DEFAULTS = {"email_booking_activity": True, "email_reminders": True}


def test_anonymous_gets_401(api_client_for):
    client = api_client_for(None)
    assert client.get(PREFERENCES).status_code == 401
    assert client.patch(PREFERENCES, {"email_reminders": False}, format="json").status_code == 401
    assert not NotificationPreference.objects.exists()


@pytest.mark.parametrize("factory", [PatientFactory, ProfessionalFactory, AdminFactory])
def test_every_role_reads_and_changes_only_its_own(api_client_for, factory):
    user, other = factory(), factory()
    client = api_client_for(user)

    assert client.get(PREFERENCES).json() == DEFAULTS
    changed = client.patch(PREFERENCES, {"email_booking_activity": False}, format="json")

    assert changed.status_code == 200
    assert changed.json() == {"email_booking_activity": False, "email_reminders": True}
    assert client.get(PREFERENCES).json() == changed.json()
    assert api_client_for(other).get(PREFERENCES).json() == DEFAULTS
    assert list(NotificationPreference.objects.values_list("user_id", flat=True)) == [user.pk]


def test_an_empty_patch_changes_nothing(api_client_for, patient):
    response = api_client_for(patient).patch(PREFERENCES, {}, format="json")
    assert (response.status_code, response.json()) == (200, DEFAULTS)


def test_put_post_and_delete_are_not_offered(api_client_for, patient):
    client = api_client_for(patient)
    for method in (client.put, client.post, client.delete):
        assert method(PREFERENCES, DEFAULTS, format="json").status_code == 405


@pytest.mark.parametrize(
    "value",
    ["true", "false", "yes", 1, 0, None, "x" * 20_000, [True], {"on": True}, 1.5],
)
def test_only_json_booleans_are_read(api_client_for, patient, value):
    response = api_client_for(patient).patch(PREFERENCES, {"email_reminders": value}, format="json")

    assert response.status_code == 400, response.content
    assert set(response.json()) == {"email_reminders"}
    assert not NotificationPreference.objects.exists()


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ('{"email_reminders": "\\ud800"}', "application/json"),
        ('{"email_reminders": false, "x": "\\udfff"}', "application/json"),
        ("[" * 5_000 + "]" * 5_000, "application/json"),
        ('{"email_reminders": ' + "[" * 200 + "]" * 200 + "}", "application/json"),
        ('{"email_reminders": NaN}', "application/json"),
        ("x" * 20_000, "application/json"),
        ("\xff\xfe not utf-8", "application/json"),
    ],
)
def test_hostile_bodies_get_400_never_500(api_client_for, patient, body, content_type):
    response = api_client_for(patient).generic(
        "PATCH", PREFERENCES, body.encode("utf-8", "surrogatepass"), content_type
    )

    assert response.status_code == 400, response.content
    assert not NotificationPreference.objects.exists()


def test_unknown_fields_are_ignored(api_client_for, patient):
    response = api_client_for(patient).patch(
        PREFERENCES, {"email_security": False, "user": 999}, format="json"
    )
    assert (response.status_code, response.json()) == (200, DEFAULTS)
