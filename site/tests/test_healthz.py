"""/healthz answers 200 when the database, the channel layer and the cache work, 503 otherwise."""

import time

import pytest
from django.test import override_settings


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/healthz", "/healthz/"])
def test_healthy_site(client, path):
    response = client.get(path)

    assert response.status_code == 200
    assert response.json() == {"database": "ok", "channel_layer": "ok", "cache": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_healthy_with_a_real_redis_channel_layer(client, redis_url):
    layers = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [redis_url]},
        }
    }
    with override_settings(CHANNEL_LAYERS=layers):
        response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"database": "ok", "channel_layer": "ok", "cache": "ok"}


@pytest.mark.django_db
def test_unreachable_channel_layer_is_a_503(client, closed_port):
    layers = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [f"redis://127.0.0.1:{closed_port}/0"]},
        }
    }
    with override_settings(CHANNEL_LAYERS=layers):
        response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"database": "ok", "channel_layer": "unavailable", "cache": "ok"}


@pytest.mark.django_db
def test_unreachable_cache_is_a_503_answered_quickly(client, closed_port):
    caches = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port}/0",
        }
    }
    with override_settings(CACHES=caches):
        started = time.monotonic()
        response = client.get("/healthz")
        elapsed = time.monotonic() - started

    assert response.status_code == 503
    assert response.json() == {"database": "ok", "channel_layer": "ok", "cache": "unavailable"}
    # A guard against a hang (a client without a timeout waits minutes for a dead Redis), not a
    # speed figure: the bound leaves room for a loaded CI machine.
    assert elapsed < 10


def test_unreachable_database_is_a_503(client):
    # Without the django_db mark pytest-django refuses every query, as a dead database would.
    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"database": "unavailable", "channel_layer": "ok", "cache": "ok"}


@pytest.mark.django_db
def test_probe_only_reads(client):
    assert client.post("/healthz").status_code == 405
