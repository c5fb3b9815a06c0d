"""Counting by the connection's address, with the rate read live."""

from django.conf import settings
from django.test import override_settings

PING = "/api/ping/"


def ping(client, address="10.0.0.1", **headers):
    return client.get(PING, REMOTE_ADDR=address, **headers)


def test_the_default_rate_applies_when_the_host_sets_none(db, api_client_for):
    client = api_client_for(None)
    assert [ping(client).status_code for _ in range(3)] == [200, 200, 429]
    assert int(ping(client)["Retry-After"]) > 0


def test_a_new_x_forwarded_for_on_every_request_is_still_counted(db, api_client_for):
    client = api_client_for(None)
    codes = [ping(client, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code for n in range(3)]
    assert codes == [200, 200, 429]


def test_addresses_are_counted_apart(db, api_client_for):
    client = api_client_for(None)
    assert [ping(client, "10.0.0.1").status_code for _ in range(2)] == [200, 200]
    assert ping(client, "10.0.0.2").status_code == 200


def test_the_host_rate_wins_and_is_read_live(db, api_client_for):
    client = api_client_for(None)
    # Over the test settings' own (see test_errors.rest_framework).
    rest_framework = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"ping": "1/min"}}
    with override_settings(REST_FRAMEWORK=rest_framework):
        assert [ping(client).status_code for _ in range(2)] == [200, 429]


def test_a_signed_in_user_is_counted_as_a_user(db, api_client_for, django_user_model):
    user = django_user_model.objects.create_user(username="pat", password="x")
    client = api_client_for(user)
    assert [ping(client, f"10.0.0.{n}").status_code for n in range(3)] == [200, 200, 429]
    assert ping(api_client_for(None), "10.0.0.9").status_code == 200
