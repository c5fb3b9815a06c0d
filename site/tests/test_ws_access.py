"""Who may open an appointment's chat socket, and ws/notifications/, through the site's real
ASGI stack.

``config.asgi.application`` is used as deployed: AllowedHostsOriginValidator, then the chat
authentication (session first, then ``?token=``), then the consumer. Every actor and every way
of presenting (or failing to present) credentials is tried against one appointment.
"""

from __future__ import annotations

import datetime as dt

import pytest
from channels.db import database_sync_to_async
from channels.testing.websocket import WebsocketCommunicator
from django.conf import settings
from django.utils import timezone

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

NOT_AUTHENTICATED = 4401
NOT_A_PARTICIPANT = 4403
NO_SUCH_APPOINTMENT = 4404


def allowed_origin() -> str:
    """An Origin the site accepts: one of its ALLOWED_HOSTS (as the validator reads them)."""
    hosts = [host for host in settings.ALLOWED_HOSTS if host not in ("*",)]
    if not hosts and settings.DEBUG:
        hosts = ["localhost"]
    assert hosts, "ALLOWED_HOSTS is empty: no Origin could ever be accepted"
    return f"https://{hosts[0].lstrip('.') or 'localhost'}"


@pytest.fixture
def application():
    from config.asgi import application

    return application


@pytest.fixture
def chat_world(db, settings):
    from psico_accounts.testing.factories import AdminFactory, PatientFactory, ProfessionalFactory
    from psico_accounts.testing.tokens import token_key_for
    from psico_scheduling.testing.factories import AppointmentFactory

    # Production hashing would cost seconds per case; these cases are about who may connect.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    users = {
        "patient": PatientFactory(),
        "professional": ProfessionalFactory(),
        "other_patient": PatientFactory(),
        "other_professional": ProfessionalFactory(),
        "admin": AdminFactory(),
    }
    start = timezone.now().replace(microsecond=0) + dt.timedelta(days=1)
    appointment = AppointmentFactory(
        patient=users["patient"],
        psychologist=users["professional"],
        start=start,
        end=start + dt.timedelta(hours=1),
    )
    tokens = {actor: token_key_for(user) for actor, user in users.items()}
    return {"users": users, "tokens": tokens, "appointment": appointment}


def communicator(application, path: str, *, origin: str | None = "default", cookie: str = ""):
    headers = []
    if origin == "default":
        origin = allowed_origin()
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    if cookie:
        headers.append((b"cookie", cookie.encode()))
    return WebsocketCommunicator(application, path, headers=headers)


async def close_code(socket: WebsocketCommunicator) -> int | None:
    """The close code the client ends up with, whether the server closed before or after
    accepting (both reach a real client as a close frame with that code)."""
    connected, code = await socket.connect(timeout=5)
    if not connected:
        return code
    output = await socket.receive_output(timeout=5)
    assert output["type"] == "websocket.close", output
    return output.get("code")


async def assert_open_and_chatting(socket: WebsocketCommunicator) -> None:
    connected, _ = await socket.connect(timeout=5)
    assert connected
    await socket.send_json_to({"type": "chat.message", "message": "Hola"})
    reply = await socket.receive_json_from(timeout=5)
    assert reply["type"] == "chat.message"
    assert reply["message"] == "Hola"
    await socket.disconnect()


def chat_path(appointment_id: int, token: str | None = None) -> str:
    path = f"/ws/chat/{appointment_id}/"
    return f"{path}?token={token}" if token else path


@pytest.mark.parametrize("actor", ["patient", "professional"])
async def test_participants_join_with_their_token(application, chat_world, actor):
    token = chat_world["tokens"][actor]
    await assert_open_and_chatting(
        communicator(application, chat_path(chat_world["appointment"].pk, token))
    )


async def test_a_participant_joins_with_the_session_cookie(application, chat_world):
    from django.test import Client

    client = Client()
    await database_sync_to_async(client.force_login)(chat_world["users"]["patient"])
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    await assert_open_and_chatting(
        communicator(application, chat_path(chat_world["appointment"].pk), cookie=cookie)
    )


@pytest.mark.parametrize("actor", ["other_patient", "other_professional", "admin"])
async def test_non_participants_are_refused_with_4403(application, chat_world, actor):
    token = chat_world["tokens"][actor]
    path = chat_path(chat_world["appointment"].pk, token)
    assert await close_code(communicator(application, path)) == NOT_A_PARTICIPANT


async def test_anonymous_is_refused_with_4401(application, chat_world):
    path = chat_path(chat_world["appointment"].pk)
    assert await close_code(communicator(application, path)) == NOT_AUTHENTICATED


@pytest.mark.parametrize("token", ["not-a-token", "0" * 40, "", "%00", "a" * 500])
async def test_a_bad_token_is_refused_with_4401(application, chat_world, token):
    path = f"/ws/chat/{chat_world['appointment'].pk}/?token={token}"
    assert await close_code(communicator(application, path)) == NOT_AUTHENTICATED


async def test_a_revoked_token_is_refused_with_4401(application, chat_world):
    from psico_accounts.services import token_authenticate, token_revoke

    token = chat_world["tokens"]["patient"]

    @database_sync_to_async
    def revoke() -> None:
        device_token = token_authenticate(key=token)
        assert device_token is not None
        token_revoke(token=device_token)

    await revoke()
    path = chat_path(chat_world["appointment"].pk, token)
    assert await close_code(communicator(application, path)) == NOT_AUTHENTICATED


async def test_an_inactive_participant_is_refused(application, chat_world):
    patient = chat_world["users"]["patient"]
    patient.is_active = False
    await database_sync_to_async(patient.save)(update_fields=["is_active"])
    path = chat_path(chat_world["appointment"].pk, chat_world["tokens"]["patient"])
    assert await close_code(communicator(application, path)) == NOT_AUTHENTICATED


async def test_an_unknown_appointment_is_4404(application, chat_world):
    path = chat_path(chat_world["appointment"].pk + 1000, chat_world["tokens"]["patient"])
    assert await close_code(communicator(application, path)) == NO_SUCH_APPOINTMENT


async def test_an_unknown_appointment_is_4401_before_authentication(application, chat_world):
    # Existence is never revealed to someone who has not authenticated.
    path = chat_path(chat_world["appointment"].pk + 1000)
    assert await close_code(communicator(application, path)) == NOT_AUTHENTICATED


@pytest.mark.parametrize(
    "origin",
    [
        "https://evil.example.com",
        "null",
        "http://psico.example.com.evil.example.com",
    ],
)
async def test_a_foreign_origin_is_refused_even_with_a_valid_token(application, chat_world, origin):
    path = chat_path(chat_world["appointment"].pk, chat_world["tokens"]["patient"])
    socket = communicator(application, path, origin=origin)
    connected, _ = await socket.connect(timeout=5)
    assert not connected


async def test_a_missing_origin_is_refused(application, chat_world):
    # AllowedHostsOriginValidator refuses a handshake without Origin unless ALLOWED_HOSTS
    # holds "*"; clients outside a browser must send the site's origin.
    path = chat_path(chat_world["appointment"].pk, chat_world["tokens"]["patient"])
    socket = communicator(application, path, origin=None)
    connected, _ = await socket.connect(timeout=5)
    assert not connected


async def test_a_foreign_origin_is_refused_even_with_a_session(application, chat_world):
    from django.test import Client

    client = Client()
    await database_sync_to_async(client.force_login)(chat_world["users"]["patient"])
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    socket = communicator(
        application,
        chat_path(chat_world["appointment"].pk),
        origin="https://evil.example.com",
        cookie=cookie,
    )
    connected, _ = await socket.connect(timeout=5)
    assert not connected


# ws/notifications/: any authenticated user, their own events only ---------------------------

NOTIFICATIONS = "/ws/notifications/"


@pytest.mark.parametrize("actor", ["patient", "professional", "other_patient", "admin"])
async def test_every_role_opens_its_notifications_with_a_token(application, chat_world, actor):
    socket = communicator(application, f"{NOTIFICATIONS}?token={chat_world['tokens'][actor]}")
    connected, _ = await socket.connect(timeout=5)
    assert connected
    await socket.send_json_to({"type": "ping"})
    assert await socket.receive_json_from(timeout=5) == {"type": "pong"}
    await socket.disconnect()


async def test_notifications_with_the_session_carry_only_the_users_events(application, chat_world):
    from django.test import Client
    from psico_scheduling.services import appointment_confirm

    users = chat_world["users"]
    sockets = {}
    for actor in ("professional", "other_professional"):
        client = Client()
        await database_sync_to_async(client.force_login)(users[actor])
        cookie = (
            f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
        )
        sockets[actor] = communicator(application, NOTIFICATIONS, cookie=cookie)
        connected, _ = await sockets[actor].connect(timeout=5)
        assert connected

    await database_sync_to_async(appointment_confirm)(
        appointment=chat_world["appointment"], by=users["professional"]
    )

    frame = await sockets["professional"].receive_json_from(timeout=5)
    assert frame["type"] == "appointment.updated"
    assert frame["appointment"] == chat_world["appointment"].pk
    assert await sockets["other_professional"].receive_nothing(timeout=0.3)
    for socket in sockets.values():
        await socket.disconnect()


@pytest.mark.parametrize("query", ["", "?token=not-a-token", "?token=" + "0" * 40])
async def test_notifications_without_valid_credentials_close_with_4401(
    application, chat_world, query
):
    assert await close_code(communicator(application, NOTIFICATIONS + query)) == NOT_AUTHENTICATED


@pytest.mark.parametrize("origin", ["https://evil.example.com", "null", None])
async def test_notifications_refuse_foreign_or_missing_origins(application, chat_world, origin):
    path = f"{NOTIFICATIONS}?token={chat_world['tokens']['patient']}"
    socket = communicator(application, path, origin=origin)
    connected, _ = await socket.connect(timeout=5)
    assert not connected
