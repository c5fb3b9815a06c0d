import datetime as dt
import re

import pytest
from django.conf import settings
from django.core import mail
from django.test import override_settings
from django.utils import timezone
from psico_accounts import selectors, services
from psico_accounts.models import PatientProfile, User, UserType
from psico_accounts.testing.factories import TEST_PASSWORD, PatientFactory

pytestmark = pytest.mark.django_db

REGISTER = "/api/auth/register/"
LOGIN = "/api/auth/login/"
LOGOUT = "/api/auth/logout/"
RESET = "/api/auth/password-reset/"
RESET_CONFIRM = "/api/auth/password-reset/confirm/"
CHANGE = "/api/auth/password-change/"
ME = "/api/users/me/"


def _registration(**overrides):
    data = {
        "email": "nueva@psico.bo",
        "password": "Clave-segura-2025",
        "first_name": "Rosa",
        "last_name": "Choque",
        "ci": "7654321",
        "phone": "+59170000000",
        "gender": "female",
        "date_of_birth": "1990-05-17",
    }
    return {**data, **overrides}


# Registration -------------------------------------------------------------------------------


def test_register_creates_a_patient_with_profile_and_token(api_client_for):
    response = api_client_for(None).post(REGISTER, _registration(), format="json")
    assert response.status_code == 201, response.data
    user = User.objects.get(email="nueva@psico.bo")
    assert user.user_type == UserType.PATIENT
    assert PatientProfile.objects.filter(user=user).exists()
    assert services.token_authenticate(key=response.data["token"]).user == user
    assert response.data["user"]["user_type"] == "patient"
    assert response.data["user"]["patient_profile"] is not None
    assert "password" not in response.data["user"]


@pytest.mark.parametrize("user_type", ["professional", "admin", "psychologist", "", None])
def test_register_cannot_choose_another_user_type(api_client_for, user_type):
    response = api_client_for(None, language="en").post(
        REGISTER, _registration(user_type=user_type), format="json"
    )
    assert response.status_code == 400
    assert "patient accounts only" in str(response.data["user_type"][0])
    assert not User.objects.exists()


def test_register_accepts_an_explicit_patient_type(api_client_for):
    response = api_client_for(None).post(
        REGISTER, _registration(user_type="patient"), format="json"
    )
    assert response.status_code == 201


def test_register_ignores_privileged_fields(api_client_for):
    response = api_client_for(None).post(
        REGISTER,
        _registration(is_staff=True, is_superuser=True, email_verified=True),
        format="json",
    )
    assert response.status_code == 201
    user = User.objects.get(email="nueva@psico.bo")
    assert not (user.is_staff or user.is_superuser or user.email_verified)


def test_register_refuses_a_taken_email_and_ci(api_client_for):
    PatientFactory(email="nueva@psico.bo", ci="7654321")
    response = api_client_for(None, language="en").post(
        REGISTER, _registration(email="NUEVA@psico.bo"), format="json"
    )
    assert response.status_code == 400
    assert response.data["email"] == ["A user with this email address already exists."]
    assert response.data["ci"] == ["A user with this CI already exists."]


def test_register_requires_a_ci(api_client_for):
    response = api_client_for(None).post(REGISTER, _registration(ci=""), format="json")
    assert response.status_code == 400
    assert "ci" in response.data


def test_register_refuses_a_weak_password(api_client_for):
    response = api_client_for(None, language="en").post(
        REGISTER, _registration(password="12345678"), format="json"
    )
    assert response.status_code == 400
    assert "password" in response.data
    assert not User.objects.exists()


def _invalid_fields():
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    return _registration(ci="12ab", phone="telefono", date_of_birth=tomorrow)


def test_validation_errors_are_in_spanish_by_default(api_client_for):
    response = api_client_for(None).post(REGISTER, _invalid_fields(), format="json")
    assert response.status_code == 400
    assert response.data["ci"] == ["El CI debe tener entre 7 y 10 dígitos, sin letras ni símbolos."]
    assert response.data["phone"] == [
        "Introduzca un teléfono válido: de 7 a 15 dígitos, opcionalmente precedidos de +."
    ]
    assert response.data["date_of_birth"] == ["La fecha de nacimiento no puede ser futura."]


def test_validation_errors_are_in_english_on_request(api_client_for):
    response = api_client_for(None, language="en").post(REGISTER, _invalid_fields(), format="json")
    assert response.status_code == 400
    assert response.data["ci"] == [
        "The CI must have between 7 and 10 digits, with no letters or symbols."
    ]
    assert response.data["phone"] == [
        "Enter a valid phone number: 7 to 15 digits, optionally starting with +."
    ]
    assert response.data["date_of_birth"] == ["The date of birth cannot be in the future."]


def test_duplicate_email_message_is_in_spanish_by_default(api_client_for):
    PatientFactory(email="nueva@psico.bo")
    response = api_client_for(None).post(REGISTER, _registration(), format="json")
    assert response.data["email"] == ["Ya existe un usuario con este correo electrónico."]


# Login and logout ---------------------------------------------------------------------------


def test_login_returns_token_and_user(api_client_for):
    user = PatientFactory(email="ana@psico.bo")
    response = api_client_for(None).post(
        LOGIN, {"email": "ANA@psico.bo", "password": TEST_PASSWORD}, format="json"
    )
    assert response.status_code == 200
    assert services.token_authenticate(key=response.data["token"]).user == user
    assert response.data["user"]["id"] == user.pk
    user.refresh_from_db()
    assert user.last_login is not None


@pytest.mark.parametrize(
    ("email", "password", "active"),
    [
        ("ana@psico.bo", "wrong-password", True),
        ("nadie@psico.bo", TEST_PASSWORD, True),
        ("ana@psico.bo", TEST_PASSWORD, False),
    ],
)
def test_login_refuses_bad_credentials_and_inactive_users(api_client_for, email, password, active):
    PatientFactory(email="ana@psico.bo", is_active=active)
    response = api_client_for(None, language="en").post(
        LOGIN, {"email": email, "password": password}, format="json"
    )
    assert response.status_code == 400
    assert response.data == {
        "non_field_errors": ["Unable to log in with the provided credentials."]
    }


def test_login_ignores_a_stale_token_header(api_client_for):
    PatientFactory(email="ana@psico.bo")
    client = api_client_for(None)
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    response = client.post(
        LOGIN, {"email": "ana@psico.bo", "password": TEST_PASSWORD}, format="json"
    )
    assert response.status_code == 200


def test_logout_revokes_the_token(api_client_for, patient):
    client = api_client_for(patient)
    assert client.get(ME).status_code == 200
    response = client.post(LOGOUT)
    assert response.status_code == 204
    assert not selectors.device_tokens_of(user=patient).exists()
    assert client.get(ME).status_code == 401


def test_logout_needs_authentication(api_client_for):
    assert api_client_for(None).post(LOGOUT).status_code == 401


# Password reset -----------------------------------------------------------------------------


def _codes_from(message):
    uid = re.search(r"\(uid\): (\S+)", message.body).group(1)
    token = re.search(r"Token: (\S+)", message.body).group(1)
    return uid, token


def test_password_reset_end_to_end(api_client_for):
    user = PatientFactory(email="olvido@psico.bo")
    client = api_client_for(None, language="en")
    response = client.post(RESET, {"email": "Olvido@psico.bo"}, format="json")
    assert response.status_code == 200
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["olvido@psico.bo"]
    assert message.alternatives[0][1] == "text/html"
    uid, token = _codes_from(message)
    assert token in message.alternatives[0][0]

    response = client.post(
        RESET_CONFIRM, {"uid": uid, "token": token, "new_password": "Nueva-clave-2025"}
    )
    assert response.status_code == 200, response.data
    login = client.post(LOGIN, {"email": user.email, "password": "Nueva-clave-2025"})
    assert login.status_code == 200
    old = client.post(LOGIN, {"email": user.email, "password": TEST_PASSWORD})
    assert old.status_code == 400

    again = client.post(
        RESET_CONFIRM, {"uid": uid, "token": token, "new_password": "Otra-clave-2026"}
    )
    assert again.status_code == 400
    assert "token" in again.data


def test_password_reset_answers_the_same_for_an_unknown_email(api_client_for):
    PatientFactory(email="existe@psico.bo")
    client = api_client_for(None)
    known = client.post(RESET, {"email": "existe@psico.bo"}, format="json")
    unknown = client.post(RESET, {"email": "no-existe@psico.bo"}, format="json")
    assert known.status_code == unknown.status_code == 200
    assert known.data == unknown.data
    assert len(mail.outbox) == 1


def test_password_reset_email_is_in_spanish_by_default(api_client_for):
    PatientFactory(email="existe@psico.bo", first_name="Rosa")
    api_client_for(None).post(RESET, {"email": "existe@psico.bo"}, format="json")
    message = mail.outbox[0]
    assert "Hola Rosa" in message.body
    assert "Restablece" in message.subject


@override_settings(
    PSICO_ACCOUNTS={"PASSWORD_RESET_URL": "https://app.psico.bo/reset/{uid}/{token}"}
)
def test_password_reset_email_links_to_the_configured_url(api_client_for):
    PatientFactory(email="existe@psico.bo")
    api_client_for(None).post(RESET, {"email": "existe@psico.bo"}, format="json")
    message = mail.outbox[0]
    uid, token = _codes_from(message)
    link = f"https://app.psico.bo/reset/{uid}/{token}"
    assert link in message.body
    assert f'href="{link}"' in message.alternatives[0][0]


def test_password_reset_confirm_refuses_a_bad_token_and_a_weak_password(api_client_for):
    PatientFactory(email="olvido@psico.bo")
    client = api_client_for(None, language="en")
    client.post(RESET, {"email": "olvido@psico.bo"}, format="json")
    uid, token = _codes_from(mail.outbox[0])

    bad = client.post(RESET_CONFIRM, {"uid": uid, "token": "x-y", "new_password": "Buena-2025!"})
    assert bad.status_code == 400
    assert bad.data["token"] == ["This password reset link is invalid or has expired."]
    bad_uid = client.post(
        RESET_CONFIRM, {"uid": "???", "token": token, "new_password": "Buena-2025!"}
    )
    assert bad_uid.status_code == 400
    weak = client.post(RESET_CONFIRM, {"uid": uid, "token": token, "new_password": "123"})
    assert weak.status_code == 400
    assert "new_password" in weak.data


def test_password_reset_token_expires(api_client_for):
    PatientFactory(email="olvido@psico.bo")
    client = api_client_for(None)
    client.post(RESET, {"email": "olvido@psico.bo"}, format="json")
    uid, token = _codes_from(mail.outbox[0])
    # A negative lifetime makes any token, even one made this second, too old.
    with override_settings(PASSWORD_RESET_TIMEOUT=-1):
        response = client.post(
            RESET_CONFIRM, {"uid": uid, "token": token, "new_password": "Buena-2025!"}
        )
    assert response.status_code == 400


# Password change ----------------------------------------------------------------------------


def test_password_change_gives_a_new_token(api_client_for, patient):
    client = api_client_for(patient)
    response = client.post(
        CHANGE, {"old_password": TEST_PASSWORD, "new_password": "Cambio-clave-2025"}
    )
    assert response.status_code == 200
    assert client.get(ME).status_code == 401
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.data['token']}")
    assert client.get(ME).status_code == 200


def test_password_change_checks_the_old_password(api_client_for, patient):
    response = api_client_for(patient).post(
        CHANGE, {"old_password": "nope", "new_password": "Cambio-clave-2025"}
    )
    assert response.status_code == 400
    assert "old_password" in response.data


# Throttling ---------------------------------------------------------------------------------


@override_settings(
    # Over the test settings' own, DEFAULT_SCHEMA_CLASS included (see test_throttling.rates).
    REST_FRAMEWORK={
        **settings.REST_FRAMEWORK,
        "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.TokenAuthentication"],
        "DEFAULT_THROTTLE_RATES": {"login": "2/min"},
    }
)
def test_login_is_throttled_with_the_rest_framework_rate(api_client_for):
    client = api_client_for(None)
    body = {"email": "x@psico.bo", "password": "whatever"}
    assert [client.post(LOGIN, body).status_code for _ in range(3)] == [400, 400, 429]
    assert "detail" in client.post(LOGIN, body).data


@override_settings(PSICO_ACCOUNTS={"PASSWORD_RESET_THROTTLE_RATE": "1/hour"})
def test_password_reset_falls_back_to_the_package_rate(api_client_for):
    client = api_client_for(None)
    body = {"email": "x@psico.bo"}
    assert client.post(RESET, body).status_code == 200
    response = client.post(RESET, body)
    assert response.status_code == 429
    assert set(response.data) == {"detail"}


@override_settings(PSICO_ACCOUNTS={"REGISTER_THROTTLE_RATE": "1/day"})
def test_registration_is_throttled(api_client_for):
    client = api_client_for(None)
    assert client.post(REGISTER, _registration(), format="json").status_code == 201
    second = client.post(REGISTER, _registration(email="otra@psico.bo", ci="7654322"))
    assert second.status_code == 429
