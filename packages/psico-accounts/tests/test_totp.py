"""A TOTP second factor for clinic administrators: setting it up, logging in with it, and the
REQUIRE_ADMIN_TOTP setting. Codes come from pyotp, as an authenticator app computes them."""

import datetime as dt
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest
import time_machine
from django.core.cache import cache
from django.utils import timezone
from psico_accounts.models import TOTPDevice
from psico_accounts.testing.factories import TEST_PASSWORD, AdminFactory, PatientFactory

pytestmark = pytest.mark.django_db

LOGIN = "/api/auth/login/"
SETUP = "/api/auth/totp/setup/"
CONFIRM = "/api/auth/totp/confirm/"


@pytest.fixture(autouse=True)
def fresh_throttles():
    cache.clear()
    yield
    cache.clear()


def set_up(client) -> pyotp.TOTP:
    response = client.post(SETUP)
    assert response.status_code == 200, response.data
    uri = response.data["provisioning_uri"]
    assert uri.startswith("otpauth://totp/")
    secret = parse_qs(urlsplit(uri).query)["secret"][0]
    assert response.data["secret"] == secret
    return pyotp.TOTP(secret)


def login(api_client_for, user, **extra):
    body = {"email": user.email, "password": TEST_PASSWORD, **extra}
    return api_client_for(None, language="en").post(LOGIN, body, format="json")


def test_an_admin_sets_up_an_app_and_then_logs_in_with_its_code(api_client_for):
    admin = AdminFactory()
    client = api_client_for(admin, language="en")
    totp = set_up(client)
    # Not confirmed yet: the password alone still signs in.
    assert login(api_client_for, admin).status_code == 200

    confirmed = client.post(CONFIRM, {"code": totp.now()}, format="json")
    assert confirmed.status_code == 200, confirmed.data

    without = login(api_client_for, admin)
    assert without.status_code == 400
    assert without.data == {"otp": ["Enter the 6-digit code of your authenticator app."]}
    # The code used to confirm cannot be used again; the next one can.
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=30)):
        response = login(api_client_for, admin, otp=totp.now())
    assert response.status_code == 200, response.data
    assert response.data["token"]


def test_a_code_works_once(api_client_for):
    admin = AdminFactory()
    client = api_client_for(admin)
    totp = set_up(client)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert client.post(CONFIRM, {"code": totp.now()}, format="json").status_code == 200
    with time_machine.travel(start + dt.timedelta(seconds=60), tick=False):
        code = totp.now()
        assert login(api_client_for, admin, otp=code).status_code == 200
        replay = login(api_client_for, admin, otp=code)
    assert replay.status_code == 400
    assert "was used already" in str(replay.data["otp"][0])


def test_a_wrong_or_stale_code_is_refused(api_client_for):
    admin = AdminFactory()
    client = api_client_for(admin)
    totp = set_up(client)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.post(CONFIRM, {"code": totp.now()}, format="json")
    with time_machine.travel(start + dt.timedelta(minutes=5), tick=False):
        stale = totp.at(start + dt.timedelta(minutes=3))
        assert login(api_client_for, admin, otp=stale).status_code == 400
        wrong = f"{(int(totp.now()) + 1) % 1_000_000:06d}"
        assert login(api_client_for, admin, otp=wrong).status_code == 400
        # One step of clock drift is tolerated.
        drifted = totp.at(start + dt.timedelta(minutes=5, seconds=-30))
        assert login(api_client_for, admin, otp=drifted).status_code == 200


def test_confirming_needs_the_right_code_and_a_setup(api_client_for):
    admin = AdminFactory()
    client = api_client_for(admin, language="en")
    nothing = client.post(CONFIRM, {"code": "123456"}, format="json")
    assert nothing.status_code == 400
    assert nothing.data == {"non_field_errors": ["Start setting up an authenticator app first."]}
    totp = set_up(client)
    wrong = f"{(int(totp.now()) + 1) % 1_000_000:06d}"
    assert client.post(CONFIRM, {"code": wrong}, format="json").status_code == 400
    assert TOTPDevice.objects.get(user=admin).confirmed_at is None


def test_a_confirmed_app_cannot_be_replaced_with_a_token(api_client_for):
    admin = AdminFactory()
    client = api_client_for(admin, language="en")
    totp = set_up(client)
    client.post(CONFIRM, {"code": totp.now()}, format="json")
    again = client.post(SETUP)
    assert again.status_code == 400
    assert again.data == {
        "non_field_errors": ["An authenticator app is set up already for this account."]
    }


def test_only_clinic_admins_set_up_an_app(api_client_for, patient, professional):
    for user in (patient, professional):
        client = api_client_for(user)
        assert client.post(SETUP).status_code == 403
        assert client.post(CONFIRM, {"code": "123456"}, format="json").status_code == 403
    assert api_client_for(None).post(SETUP).status_code == 401


def test_with_the_setting_an_admin_without_an_app_cannot_log_in(api_client_for, settings):
    settings.PSICO_ACCOUNTS = {"REQUIRE_ADMIN_TOTP": True}
    admin = AdminFactory()
    response = login(api_client_for, admin)
    assert response.status_code == 400
    assert "must sign in with an authenticator app" in str(response.data["otp"][0])
    # Patients are not concerned.
    assert login(api_client_for, PatientFactory()).status_code == 200


def test_wrong_credentials_say_nothing_about_the_second_factor(api_client_for):
    admin = AdminFactory()
    client = api_client_for(admin)
    client.post(CONFIRM, {"code": set_up(client).now()}, format="json")
    response = api_client_for(None, language="en").post(
        LOGIN, {"email": admin.email, "password": "wrong-password"}, format="json"
    )
    assert response.status_code == 400
    assert "otp" not in response.data


@pytest.mark.parametrize(
    "code", ["٣٣٣٣٣٣", "12345", "1234567", "x" * 20_000, "abcdef", 123456, None, ["123456"]]
)
def test_hostile_codes_are_refused_with_a_400(api_client_for, code):
    admin = AdminFactory()
    client = api_client_for(admin)
    set_up(client)
    assert client.post(CONFIRM, {"code": code}, format="json").status_code == 400
    assert login(api_client_for, admin, otp=code).status_code == 400


def test_a_lone_surrogate_or_deep_nesting_is_a_400(api_client_for):
    client = api_client_for(AdminFactory())
    set_up(client)
    for body in ('{"code": "\\ud800"}', '{"code": ' + "[" * 5000 + "]" * 5000 + "}"):
        response = client.generic("POST", CONFIRM, body, content_type="application/json")
        assert response.status_code == 400
