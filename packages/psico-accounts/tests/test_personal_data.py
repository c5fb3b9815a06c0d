"""The patient's rights: a copy of their data (built by a task, downloaded once by an emailed,
signed, expiring link) and the erasure of their account."""

import datetime as dt
import re
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.core import mail
from django.utils import timezone
from psico_accounts import selectors, services
from psico_accounts.models import DeviceToken, PersonalDataExport, User
from psico_accounts.personal_data import personal_data_export, user_erased
from psico_accounts.testing.factories import TEST_PASSWORD, PatientFactory, ProfessionalFactory
from psico_accounts.testing.tokens import token_key_for

pytestmark = pytest.mark.django_db

ME = "/api/users/me/"
EXPORT = "/api/users/me/export/"
DOWNLOAD = "/api/users/me/export/download/"
USERS = "/api/users/"


def link_from(message) -> str:
    return re.search(r"(http\S+signature=\S+)", message.body).group(1)


def signature_from(link: str) -> str:
    return parse_qs(urlsplit(link).query)["signature"][0]


def test_an_export_is_emailed_and_downloads_once(api_client_for):
    patient = PatientFactory(first_name="Rosa", ci="7654321", phone="+59170000000")
    token_key_for(patient, user_agent="Android 14")
    client = api_client_for(patient, language="en")

    response = client.post(EXPORT)

    assert response.status_code == 202
    assert response.data == {
        "detail": "We are preparing a copy of your data and will email you a link."
    }
    [message] = mail.outbox
    assert message.to == [patient.email]
    assert message.subject == "Your Psico data is ready"
    link = link_from(message)
    assert link.startswith("http://testserver/api/users/me/export/download/?signature=")

    anonymous = api_client_for(None)
    download = anonymous.get(DOWNLOAD, {"signature": signature_from(link)})
    assert download.status_code == 200
    assert download["Content-Disposition"] == 'attachment; filename="psico-data.json"'
    data = download.json()
    assert data["user"]["first_name"] == "Rosa"
    assert data["user"]["ci"] == "7654321"
    assert data["user"]["patient_profile"] == {
        "emergency_contact_name": patient.patient_profile.emergency_contact_name,
        "emergency_contact_phone": patient.patient_profile.emergency_contact_phone,
    }
    assert "Android 14" in [device["user_agent"] for device in data["user"]["devices"]]
    assert "password" not in data["user"]
    # Once: the data is gone from the database after the download.
    assert anonymous.get(DOWNLOAD, {"signature": signature_from(link)}).status_code == 404
    assert PersonalDataExport.objects.get().data is None


def test_other_apps_add_their_sections(api_client_for):
    def section(sender, *, user, **kwargs):
        return "test_section", {"user": user.pk}

    personal_data_export.connect(section, dispatch_uid="test_section")
    try:
        patient = PatientFactory()
        api_client_for(patient).post(EXPORT)
        link = link_from(mail.outbox[0])
        data = api_client_for(None).get(DOWNLOAD, {"signature": signature_from(link)}).json()
    finally:
        personal_data_export.disconnect(dispatch_uid="test_section")
    assert data["test_section"] == {"user": patient.pk}


def test_the_link_expires(api_client_for, settings):
    settings.PSICO_ACCOUNTS = {"EXPORT_LINK_TTL": 3600}
    patient = PatientFactory()
    api_client_for(patient).post(EXPORT)
    signature = signature_from(link_from(mail.outbox[0]))
    with time_machine.travel(timezone.now() + dt.timedelta(hours=2)):
        assert api_client_for(None).get(DOWNLOAD, {"signature": signature}).status_code == 404


@pytest.mark.parametrize(
    "signature",
    ["", "1", "1:abc:def", "x" * 200, "٣:٣", "9999-12-31", str(2**63)],
)
def test_forged_or_hostile_signatures_are_refused(api_client_for, signature):
    response = api_client_for(None).get(DOWNLOAD, {"signature": signature})
    assert response.status_code in (400, 404)


def test_a_signature_too_long_or_repeated_is_a_400(api_client_for):
    client = api_client_for(None)
    assert client.get(DOWNLOAD, {"signature": "x" * 20_000}).status_code == 400
    assert client.get(f"{DOWNLOAD}?signature=a&signature=b").status_code == 400
    assert client.get(DOWNLOAD).status_code == 400


def test_another_exports_signature_does_not_open_mine(api_client_for):
    # A signature is bound to one export; changing the id breaks it.
    patient = PatientFactory()
    api_client_for(patient).post(EXPORT)
    signature = signature_from(link_from(mail.outbox[0]))
    export_id, rest = signature.split(":", 1)
    forged = f"{int(export_id) + 1}:{rest}"
    assert api_client_for(None).get(DOWNLOAD, {"signature": forged}).status_code == 404


def test_export_needs_authentication(api_client_for):
    assert api_client_for(None).post(EXPORT).status_code == 401


# Erasure -------------------------------------------------------------------------------------


def test_a_user_erases_their_account_with_their_password(api_client_for):
    patient = PatientFactory(
        first_name="Rosa", last_name="Choque", ci="7654321", email_verified=True
    )
    other_key = token_key_for(patient)
    erased_users = []

    def record(sender, *, user, **kwargs):
        erased_users.append(user.pk)

    user_erased.connect(record, dispatch_uid="test_record")
    try:
        client = api_client_for(patient, language="en")
        wrong = client.generic(
            "DELETE", ME, '{"password": "not-mine"}', content_type="application/json"
        )
        assert wrong.status_code == 400
        assert wrong.data == {"password": ["Your password was entered incorrectly."]}
        response = client.delete(ME, {"password": TEST_PASSWORD}, format="json")
    finally:
        user_erased.disconnect(dispatch_uid="test_record")

    assert response.status_code == 204
    assert erased_users == [patient.pk]
    patient.refresh_from_db()
    assert (patient.first_name, patient.last_name) == ("Usuario eliminado", "")
    assert patient.email == f"eliminado-{patient.pk}@eliminado.invalid"
    assert (patient.ci, patient.phone, patient.date_of_birth, patient.gender) == (
        None,
        "",
        None,
        "",
    )
    assert not patient.is_active and not patient.has_usable_password()
    assert not selectors.device_tokens_of(user=patient).exists()
    assert client.get(ME).status_code == 401
    assert api_client_for(None).get(ME, HTTP_AUTHORIZATION=f"Token {other_key}").status_code == 401


def test_erasure_needs_the_password_field(api_client_for, patient):
    client = api_client_for(patient)
    assert client.delete(ME, {}, format="json").status_code == 400
    assert client.delete(ME, {"password": ["x"]}, format="json").status_code == 400
    assert client.delete(ME, {"password": "x" * 20_000}, format="json").status_code == 400
    assert (
        client.generic(
            "DELETE", ME, '{"password": "\\ud800"}', content_type="application/json"
        ).status_code
        == 400
    )
    assert (
        client.generic(
            "DELETE",
            ME,
            '{"password": ' + "[" * 5000 + "]" * 5000 + "}",
            content_type="application/json",
        ).status_code
        == 400
    )
    patient.refresh_from_db()
    assert patient.is_active


def test_a_clinic_admin_erases_a_user_on_request(api_client_for, clinic_admin):
    professional = ProfessionalFactory(professional_profile__bio="Terapia breve")
    response = api_client_for(clinic_admin).post(f"{USERS}{professional.pk}/erase/")
    assert response.status_code == 204
    professional.refresh_from_db()
    assert professional.first_name == "Usuario eliminado"
    assert professional.professional_profile.bio == ""
    assert professional.professional_profile.is_public is False
    assert not professional.is_active


def test_only_clinic_admins_erase_others(api_client_for, patient, professional):
    for user in (patient, professional):
        assert api_client_for(user).post(f"{USERS}{patient.pk}/erase/").status_code == 403
    assert api_client_for(None).post(f"{USERS}{patient.pk}/erase/").status_code == 401
    patient.refresh_from_db()
    assert patient.is_active


@pytest.mark.parametrize("user_id", [str(2**63), "99999999999999999999", "0"])
def test_erasing_unknown_users_is_a_404(api_client_for, clinic_admin, user_id):
    assert api_client_for(clinic_admin).post(f"{USERS}{user_id}/erase/").status_code == 404


def test_an_erased_users_export_link_stops_working(api_client_for):
    patient = PatientFactory()
    client = api_client_for(patient)
    client.post(EXPORT)
    signature = signature_from(link_from(mail.outbox[0]))
    services.user_erase(user=User.objects.get(pk=patient.pk))
    assert api_client_for(None).get(DOWNLOAD, {"signature": signature}).status_code == 404
    assert not PersonalDataExport.objects.exists()
    assert not DeviceToken.objects.filter(user=patient, revoked_at__isnull=True).exists()
