"""Email verification: the email at sign-up (through a task), the codes, resending, the field."""

import json
import re

import pytest
from django.core import mail
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from psico_accounts import selectors, services
from psico_accounts.models import User
from psico_accounts.testing.factories import PatientFactory
from psico_accounts.verification import email_verification_token_generator

pytestmark = pytest.mark.django_db

REGISTER = "/api/auth/register/"
VERIFY = "/api/auth/verify-email/"
RESEND = "/api/auth/verify-email/resend/"
ME = "/api/users/me/"


@pytest.fixture(autouse=True)
def fresh_throttles():
    cache.clear()
    yield
    cache.clear()


def registration(**overrides) -> dict:
    return {
        "email": "nueva@psico.bo",
        "password": "Clave-segura-2025",
        "first_name": "Rosa",
        "last_name": "Choque",
        "ci": "7654321",
        **overrides,
    }


def codes_from(message) -> tuple[str, str]:
    uid = re.search(r"\(uid\): (\S+)", message.body).group(1)
    token = re.search(r"Token: (\S+)", message.body).group(1)
    return uid, token


def codes_for(user) -> dict:
    return {
        "uid": urlsafe_base64_encode(force_bytes(user.pk)),
        "token": email_verification_token_generator.make_token(user),
    }


def test_sign_up_sends_a_verification_email_and_the_codes_verify(api_client_for):
    client = api_client_for(None, language="en")
    response = client.post(REGISTER, registration(), format="json")
    assert response.status_code == 201, response.data
    assert response.data["user"]["email_verified"] is False
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["nueva@psico.bo"]
    assert "Confirm your email address" in message.subject
    assert message.alternatives[0][1] == "text/html"
    uid, token = codes_from(message)
    assert token in message.alternatives[0][0]

    verified = client.post(VERIFY, {"uid": uid, "token": token}, format="json")

    assert verified.status_code == 200, verified.data
    assert verified.data == {"detail": "Your email address is verified."}
    me = api_client_for(User.objects.get(email="nueva@psico.bo")).get(ME)
    assert me.data["email_verified"] is True
    # The codes worked once.
    again = client.post(VERIFY, {"uid": uid, "token": token}, format="json")
    assert again.status_code == 400
    assert again.data == {"token": ["This verification link is invalid or has expired."]}


def test_the_email_speaks_the_language_of_the_sign_up(api_client_for):
    api_client_for(None).post(REGISTER, registration(), format="json")
    assert "Confirma tu dirección de correo" in mail.outbox[0].subject


@override_settings(
    PSICO_ACCOUNTS={"EMAIL_VERIFICATION_URL": "https://app.psico.bo/v/{uid}/{token}"}
)
def test_the_email_links_to_the_configured_url(api_client_for):
    api_client_for(None).post(REGISTER, registration(), format="json")
    uid, token = codes_from(mail.outbox[0])
    assert f"https://app.psico.bo/v/{uid}/{token}" in mail.outbox[0].body


def test_codes_sent_to_an_old_address_do_not_verify_a_new_one():
    user = PatientFactory(email_verified=False)
    codes = codes_for(user)
    services.user_update(user=user, data={"email": "cambiado@psico.bo"})
    with pytest.raises(ValidationError) as excinfo:
        services.email_verify(**codes)
    assert excinfo.value.message_dict.keys() == {"token"}
    user.refresh_from_db()
    assert user.email_verified is False


def test_the_verification_task_sends_nothing_to_a_verified_or_inactive_account():
    verified = PatientFactory(email_verified=True)
    inactive = PatientFactory(email_verified=False, is_active=False)
    assert services.email_verification_send(user_id=verified.pk) is False
    assert services.email_verification_send(user_id=inactive.pk) is False
    assert services.email_verification_send(user_id=2**62) is False
    assert mail.outbox == []


def test_resend_emails_new_codes(api_client_for):
    user = PatientFactory(email_verified=False)
    response = api_client_for(user, language="en").post(RESEND)
    assert response.status_code == 200
    assert response.data == {"detail": "We have sent you a new verification email."}
    assert [message.to for message in mail.outbox] == [[user.email]]
    uid, token = codes_from(mail.outbox[0])
    services.email_verify(uid=uid, token=token)
    user.refresh_from_db()
    assert user.email_verified is True


def test_resend_refuses_a_verified_address(api_client_for):
    user = PatientFactory(email_verified=True)
    response = api_client_for(user, language="en").post(RESEND)
    assert response.status_code == 400
    assert response.data == {"non_field_errors": ["Your email address is already verified."]}
    assert mail.outbox == []


@override_settings(PSICO_ACCOUNTS={"EMAIL_VERIFICATION_THROTTLE_RATE": "2/hour"})
def test_resend_is_throttled(api_client_for):
    client = api_client_for(PatientFactory(email_verified=False))
    assert [client.post(RESEND).status_code for _ in range(3)] == [200, 200, 429]
    assert len(mail.outbox) == 2


def test_resend_needs_authentication(api_client_for):
    assert api_client_for(None).post(RESEND).status_code == 401


def test_email_verified_is_read_only_on_me(api_client_for):
    user = PatientFactory(email_verified=False)
    response = api_client_for(user).patch(ME, {"email_verified": True}, format="json")
    user.refresh_from_db()
    assert user.email_verified is False
    assert response.status_code in (200, 400)


@pytest.mark.parametrize(
    "body",
    [
        {"uid": "x" * 20_000, "token": "t"},
        {"uid": "MQ", "token": " ".join(["palabra"] * 5000)},
        {"uid": {"a": [[{"b": 1}]]}, "token": "t"},
        {"uid": "MQ", "token": ["t"]},
        {"uid": "٣", "token": "٣"},
        {"uid": urlsafe_base64_encode(force_bytes(2**63)), "token": "abc-def"},
        {"uid": "MQ", "token": "9999-12-31"},
        {"uid": "MQ"},
        {},
    ],
)
def test_verify_refuses_hostile_input_with_a_400(api_client_for, body):
    PatientFactory(email_verified=False)
    response = api_client_for(None).post(VERIFY, body, format="json")
    assert response.status_code == 400, response.content


def test_verify_refuses_a_lone_surrogate_with_a_400(api_client_for):
    response = api_client_for(None).generic(
        "POST", VERIFY, '{"uid": "\\ud800", "token": "t"}', content_type="application/json"
    )
    assert response.status_code == 400


def test_verify_refuses_deeply_nested_json_with_a_400(api_client_for):
    body = json.dumps({"uid": "MQ"})[:-1] + ', "token": ' + "[" * 5000 + "]" * 5000 + "}"
    response = api_client_for(None).generic("POST", VERIFY, body, content_type="application/json")
    assert response.status_code == 400


# Booking before verification -----------------------------------------------------------------


def test_user_may_book_follows_the_setting(settings):
    unverified = PatientFactory(email_verified=False)
    assert selectors.user_may_book(user=unverified) is True
    settings.PSICO_ACCOUNTS = {"REQUIRE_VERIFIED_EMAIL_TO_BOOK": True}
    assert selectors.user_may_book(user=unverified) is False
    assert selectors.user_may_book(user=PatientFactory(email_verified=True)) is True


@pytest.mark.parametrize("value", ["yes", 1, None])
def test_a_bad_booking_setting_is_refused_by_the_system_check(settings, value):
    from psico_accounts.checks import check_settings

    settings.PSICO_ACCOUNTS = {"REQUIRE_VERIFIED_EMAIL_TO_BOOK": value}
    assert "psico_accounts.E008" in [error.id for error in check_settings(None)]


def test_a_password_reset_token_does_not_verify_an_address(api_client_for):
    from django.contrib.auth.tokens import default_token_generator

    user = PatientFactory(email_verified=False)
    body = {
        "uid": urlsafe_base64_encode(force_bytes(user.pk)),
        "token": default_token_generator.make_token(user),
    }
    assert api_client_for(None).post(VERIFY, body, format="json").status_code == 400
    user.refresh_from_db()
    assert user.email_verified is False
