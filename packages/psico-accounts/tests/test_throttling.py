"""The account throttles count per connection address and survive an unreachable cache."""

import socket

import pytest
from django.conf import settings
from django.test import override_settings
from psico_accounts.testing.factories import TEST_PASSWORD, PatientFactory
from psico_core.resilient_cache import resilient_cache

pytestmark = pytest.mark.django_db

LOGIN = "/api/auth/login/"
REGISTER = "/api/auth/register/"
RESET = "/api/auth/password-reset/"
WRONG = {"email": "x@psico.bo", "password": "whatever"}


@pytest.fixture(autouse=True)
def _shared_cache_again():
    # The fallback remembers an outage for a few seconds and keeps its counters in process
    # memory, which cache.clear() does not reach: leave neither to the next test.
    yield
    resilient_cache.reset()


@pytest.fixture
def unreachable_cache():
    """CACHES pointing at a Redis port nobody listens on: every call is refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    caches = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
        }
    }
    with override_settings(CACHES=caches):
        yield


def rates(**rates: str):
    return override_settings(
        # Over the test settings' own: without their DEFAULT_SCHEMA_CLASS, a view module first
        # imported here would keep DRF's AutoSchema and break every later schema test.
        REST_FRAMEWORK={
            **settings.REST_FRAMEWORK,
            "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.TokenAuthentication"],
            "DEFAULT_THROTTLE_RATES": rates,
        }
    )


def test_a_new_x_forwarded_for_on_every_request_is_still_throttled(api_client_for):
    client = api_client_for(None)

    with rates(login="3/min"):
        statuses = [
            client.post(
                LOGIN, WRONG, REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}"
            ).status_code
            for n in range(5)
        ]

    assert statuses == [400, 400, 400, 429, 429]


@pytest.mark.parametrize("path", [REGISTER, RESET])
def test_every_account_throttle_ignores_x_forwarded_for(api_client_for, path):
    client = api_client_for(None)

    with rates(register="1/min", password_reset="1/min"):
        statuses = [
            client.post(
                path, {}, REMOTE_ADDR="203.0.113.8", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}"
            ).status_code
            for n in range(3)
        ]

    assert statuses[1:] == [429, 429]


def test_connection_addresses_are_counted_apart(api_client_for):
    client = api_client_for(None)

    with rates(login="1/min"):
        first = [client.post(LOGIN, WRONG, REMOTE_ADDR="203.0.113.9").status_code for _ in "ab"]
        other = client.post(LOGIN, WRONG, REMOTE_ADDR="203.0.113.10").status_code

    assert first == [400, 429]
    assert other == 400


def test_login_works_and_is_throttled_while_the_cache_is_unreachable(
    api_client_for, unreachable_cache
):
    patient = PatientFactory()
    client = api_client_for(None)
    body = {"email": patient.email, "password": TEST_PASSWORD}

    with rates(login="2/min"):
        statuses = [
            client.post(LOGIN, body, REMOTE_ADDR="203.0.113.11").status_code for _ in range(3)
        ]

    assert statuses == [200, 200, 429]
