"""One message budget per user and appointment, shared by all their sockets and REST, and
counted in the shared cache so that every server process counts together."""

from __future__ import annotations

import os
import uuid

import pytest
from psico_chat.throttling import message_budget_take
from psico_core.resilient_cache import ResilientCache

pytestmark = pytest.mark.django_db(transaction=True)


async def next_frame(communicator) -> dict:
    return await communicator.receive_json_from(timeout=5)


async def send(socket, text: str) -> dict:
    await socket.send_json_to({"message": text})
    return await next_frame(socket)


async def test_two_sockets_of_one_user_share_the_budget(open_socket, appointment, settings):
    settings.PSICO_CHAT = {"RATE_LIMIT_MESSAGES": 3, "RATE_LIMIT_SECONDS": 3600}
    first = await open_socket(appointment.pk, user=appointment.patient)
    second = await open_socket(appointment.pk, user=appointment.patient)

    replies = []
    for n, socket in enumerate([first, second, first, second]):
        replies.append(await send(socket, f"Mensaje {n}"))
        # The other socket of the patient gets each accepted message too: skip it.
        other = second if socket is first else first
        if replies[-1]["type"] == "chat.message":
            assert (await next_frame(other))["id"] == replies[-1]["id"]

    assert [reply["type"] for reply in replies] == ["chat.message"] * 3 + ["error"]
    assert replies[-1]["code"] == "rate_limited"


async def test_the_other_participant_and_other_chats_keep_their_own_budget(
    open_socket, appointment, settings
):
    settings.PSICO_CHAT = {"RATE_LIMIT_MESSAGES": 1, "RATE_LIMIT_SECONDS": 3600}
    patient = await open_socket(appointment.pk, user=appointment.patient)
    professional = await open_socket(appointment.pk, user=appointment.psychologist)

    from_patient = await send(patient, "Hola")
    assert (await next_frame(professional))["id"] == from_patient["id"]
    from_professional = await send(professional, "Hola")

    assert from_professional["type"] == "chat.message"


def test_rest_and_sockets_draw_on_one_budget(api_client_for, appointment, settings):
    settings.PSICO_CHAT = {"RATE_LIMIT_MESSAGES": 2, "RATE_LIMIT_SECONDS": 3600}
    # A socket's message takes from the same counter.
    assert message_budget_take(user_id=appointment.patient.pk, appointment_id=appointment.pk)
    client = api_client_for(appointment.patient)
    url = f"/api/chat/{appointment.pk}/messages/"

    statuses = [client.post(url, {"message": f"{n}"}, format="json").status_code for n in (1, 2)]

    assert statuses == [201, 429]


async def test_a_socket_is_refused_once_rest_spent_the_budget(
    open_socket, appointment, api_client_for, settings
):
    from channels.db import database_sync_to_async

    settings.PSICO_CHAT = {"RATE_LIMIT_MESSAGES": 1, "RATE_LIMIT_SECONDS": 3600}
    client = await database_sync_to_async(api_client_for)(appointment.patient)
    socket = await open_socket(appointment.pk, user=appointment.patient)

    response = await database_sync_to_async(client.post)(
        f"/api/chat/{appointment.pk}/messages/", {"message": "Por REST"}, format="json"
    )
    assert response.status_code == 201
    assert (await next_frame(socket))["message"] == "Por REST"
    refused = await send(socket, "Por el socket")

    assert refused["code"] == "rate_limited"


def test_a_broken_cache_never_fails_the_post(api_client_for, appointment, settings):
    # A cache that cannot connect (nothing listens on port 9 of localhost).
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",
            "OPTIONS": {"socket_connect_timeout": 0.5},
        }
    }
    client = api_client_for(appointment.patient)

    response = client.post(
        f"/api/chat/{appointment.pk}/messages/", {"message": "Hola"}, format="json"
    )

    assert response.status_code == 201


# With a real Redis as the cache -------------------------------------------------------------


@pytest.fixture
def redis_cache(settings):
    """Two cache aliases on one Redis database under a unique prefix, as two server processes
    would see it; the prefix's keys are deleted afterwards (never the whole database)."""
    url = os.environ.get("REDIS_URL")
    if not url:
        if os.environ.get("PSICO_REQUIRE_SERVICES") == "1":
            pytest.fail("PSICO_REQUIRE_SERVICES=1 but REDIS_URL is not set.")
        pytest.skip("Needs Redis: REDIS_URL is not set.")
    prefix = f"psico-chat-test-{uuid.uuid4().hex}"
    backend = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": url,
        "KEY_PREFIX": prefix,
    }
    settings.CACHES = {"default": backend, "other_process": dict(backend)}
    yield prefix
    import redis

    client = redis.Redis.from_url(url)
    keys = list(client.scan_iter(match=f"{prefix}:*"))
    if keys:
        client.delete(*keys)
    client.close()


def test_two_cache_clients_count_together_in_redis(redis_cache, appointment, settings):
    settings.PSICO_CHAT = {"RATE_LIMIT_MESSAGES": 3, "RATE_LIMIT_SECONDS": 3600}
    here, there = ResilientCache("default"), ResilientCache("other_process")
    ids = {"user_id": appointment.patient.pk, "appointment_id": appointment.pk}

    taken = [message_budget_take(**ids, cache=cache) for cache in (here, there, here, there, here)]

    assert taken == [True, True, True, False, False]


async def test_two_sockets_share_the_budget_through_redis(
    redis_cache, open_socket, appointment, settings
):
    await test_two_sockets_of_one_user_share_the_budget(open_socket, appointment, settings)
