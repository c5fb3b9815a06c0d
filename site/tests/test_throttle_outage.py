"""A Redis outage: the site keeps answering, the throttles count per process, /healthz says so.

The cache and the channel layer share one Redis, as in production with REDIS_URL alone. That
Redis is a private server this test starts and stops, never the shared one.
"""

import datetime as dt
import time

import pytest
from django.test import override_settings
from django.utils import timezone
from psico_accounts.testing.factories import (
    TEST_PASSWORD,
    AdminFactory,
    PatientFactory,
    ProfessionalFactory,
)
from psico_core.resilient_cache import resilient_cache
from psico_scheduling.testing.factories import weekly_schedule_for

pytestmark = pytest.mark.django_db

LOGIN = "/api/auth/login/"


@pytest.fixture(autouse=True)
def _forget_the_outage():
    yield
    # The fallback remembers the outage for a few seconds and keeps counters in this
    # process: leave neither to the next test.
    resilient_cache.reset()


@pytest.fixture
def site_on(private_redis, settings):
    """The cache and the channel layer on the private Redis, as REDIS_URL alone configures."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"login": "3/min", "register": "20/min"},
    }
    caches = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": private_redis.url,
            "KEY_PREFIX": "psico-cache",
            "OPTIONS": {"socket_connect_timeout": 1.0, "socket_timeout": 1.0},
        }
    }
    layers = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [private_redis.url]},
        }
    }
    with override_settings(CACHES=caches, CHANNEL_LAYERS=layers):
        yield private_redis


def timed_healthz(client):
    started = time.monotonic()
    response = client.get("/healthz")
    return response, time.monotonic() - started


def test_login_registration_and_booking_work_while_redis_is_down(site_on, api_client_for):
    patient = PatientFactory()
    professional = ProfessionalFactory()
    weekly_schedule_for(professional, days=tuple(range(7)))
    anonymous = api_client_for(None)
    healthy, _ = timed_healthz(anonymous)
    assert healthy.json() == {"database": "ok", "channel_layer": "ok", "cache": "ok"}

    site_on.stop()

    credentials = {"email": patient.email, "password": TEST_PASSWORD}
    logins = [
        anonymous.post(LOGIN, credentials, REMOTE_ADDR="203.0.113.20").status_code for _ in range(4)
    ]
    # Counted in this process while the cache is down: the limit still holds.
    assert logins == [200, 200, 200, 429]

    registration = anonymous.post(
        "/api/auth/register/",
        {
            "email": "durante-la-caida@psico.bo",
            "password": "Clave-segura-2025",
            "first_name": "Rosa",
            "last_name": "Choque",
            "ci": "7654329",
            "phone": "+59170000009",
            "gender": "female",
            "date_of_birth": "1990-05-17",
        },
        format="json",
    )
    assert registration.status_code == 201, registration.data

    day = timezone.localdate() + dt.timedelta(days=3)
    booking = api_client_for(patient).post(
        "/api/appointments/appointments/",
        {
            "psychologist": professional.pk,
            "appointment_date": day.isoformat(),
            "start_time": "10:00",
            "reason": "Primera consulta",
        },
        format="json",
    )
    assert booking.status_code == 201, booking.data

    down, elapsed = timed_healthz(anonymous)
    assert down.status_code == 503
    assert down.json() == {"database": "ok", "channel_layer": "unavailable", "cache": "unavailable"}
    # A guard against a hang while Redis is down, not a speed figure (room for a loaded machine).
    assert elapsed < 10

    site_on.start()

    back, _ = timed_healthz(anonymous)
    assert back.status_code == 200
    assert back.json() == {"database": "ok", "channel_layer": "ok", "cache": "ok"}


def test_calendar_feeds_and_webhooks_answer_while_redis_is_down(site_on, api_client_for):
    patient = PatientFactory()
    feed_url = api_client_for(patient).get("/api/calendar/feed/").data["url"]
    feed_path = feed_url.split("testserver", 1)[1]

    site_on.stop()

    anonymous = api_client_for(None)
    # The feed's throttle counts in this process while the cache is down.
    fetch = anonymous.get(feed_path)
    assert fetch.status_code == 200
    assert fetch["Content-Type"] == "text/calendar; charset=utf-8"
    rotated = api_client_for(patient).post("/api/calendar/feed/rotate/")
    assert rotated.status_code == 200
    assert anonymous.get(feed_path).status_code == 404

    admin = api_client_for(AdminFactory())
    created = admin.post(
        "/api/webhooks/endpoints/",
        {"url": "https://hooks.example.com/psico", "events": ["appointment.booked"]},
        format="json",
    )
    assert created.status_code == 201, created.data
    assert admin.get("/api/webhooks/deliveries/").status_code == 200
