"""Single-use socket tickets: POST /api/chat/ticket/, then ``ws/chat/<id>/?ticket=<key>``."""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import OperationalError, connection
from django.utils import timezone
from psico_chat.models import ChatTicket
from psico_chat.tickets import ticket_issue, ticket_redeem

TICKET_URL = "/api/chat/ticket/"
NOT_AUTHENTICATED = 4401


def test_anonymous_gets_401(api_client_for):
    assert api_client_for(None).post(TICKET_URL).status_code == 401


@pytest.mark.django_db
def test_a_token_gets_a_ticket_stored_only_as_its_hash(api_client_for, patient):
    response = api_client_for(patient).post(TICKET_URL)

    assert response.status_code == 201
    body = response.json()
    assert body["expires_in"] == 60
    assert len(body["ticket"]) == 43
    stored = ChatTicket.objects.get()
    assert stored.user == patient
    assert stored.key_hash == hashlib.sha256(body["ticket"].encode()).hexdigest()
    assert body["ticket"] not in str(list(ChatTicket.objects.values()))
    assert stored.expires_at - stored.created_at == pytest.approx(
        dt.timedelta(seconds=60), abs=dt.timedelta(seconds=1)
    )


@pytest.mark.django_db
def test_a_session_gets_a_ticket_too(client, professional):
    client.force_login(professional)

    response = client.post(TICKET_URL)

    assert response.status_code == 201


@pytest.mark.django_db
def test_the_lifetime_follows_the_setting(api_client_for, patient, settings):
    settings.PSICO_CHAT = {"TICKET_TTL_SECONDS": 5}

    assert api_client_for(patient).post(TICKET_URL).json()["expires_in"] == 5


@pytest.mark.django_db
def test_ticket_creation_is_throttled_per_user(api_client_for, patient, professional, settings):
    settings.PSICO_CHAT = {"TICKET_RATE_LIMIT": 2}
    client = api_client_for(patient)

    statuses = [client.post(TICKET_URL).status_code for _ in range(3)]
    other = api_client_for(professional).post(TICKET_URL).status_code

    assert statuses == [201, 201, 429]
    assert other == 201


@pytest.mark.django_db
def test_issuing_sweeps_expired_tickets(patient):
    ticket_issue(user=patient)
    ChatTicket.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))

    ticket_issue(user=patient)

    assert ChatTicket.objects.count() == 1


# Redeeming ----------------------------------------------------------------------------------


def ticket_socket(appointment_id: int, query: str) -> WebsocketCommunicator:
    from tests.asgi import application

    return WebsocketCommunicator(
        application,
        f"/ws/chat/{appointment_id}/?{query}",
        headers=[(b"origin", b"http://localhost")],
    )


async def close_code_or_open(socket: WebsocketCommunicator):
    """The close code right after the handshake, or "open" when the chat answers."""
    connected, _ = await socket.connect(timeout=5)
    assert connected
    await socket.send_json_to({"type": "history"})
    frame = await socket.receive_output(timeout=5)
    await socket.disconnect()
    if frame["type"] == "websocket.close":
        return frame["code"]
    return "open"


@pytest.mark.django_db(transaction=True)
async def test_a_ticket_opens_one_socket_once(appointment):
    ticket = await database_sync_to_async(ticket_issue)(user=appointment.patient)

    first = await close_code_or_open(ticket_socket(appointment.pk, f"ticket={ticket}"))
    second = await close_code_or_open(ticket_socket(appointment.pk, f"ticket={ticket}"))

    assert (first, second) == ("open", NOT_AUTHENTICATED)


@pytest.mark.django_db(transaction=True)
async def test_an_expired_ticket_is_refused(appointment):
    ticket = await database_sync_to_async(ticket_issue)(user=appointment.patient)
    await database_sync_to_async(ChatTicket.objects.update)(expires_at=timezone.now())

    code = await close_code_or_open(ticket_socket(appointment.pk, f"ticket={ticket}"))

    assert code == NOT_AUTHENTICATED


@pytest.mark.django_db(transaction=True)
async def test_the_ticket_of_a_deactivated_user_is_refused(appointment):
    patient = appointment.patient
    ticket = await database_sync_to_async(ticket_issue)(user=patient)
    patient.is_active = False
    await database_sync_to_async(patient.save)()

    code = await close_code_or_open(ticket_socket(appointment.pk, f"ticket={ticket}"))

    assert code == NOT_AUTHENTICATED


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "query",
    ["ticket=", "ticket=abc", "ticket=" + "A" * 44, "ticket=%00" + "A" * 42, "ticket=\ud800"],
)
async def test_a_malformed_or_unknown_ticket_is_refused(appointment, query):
    code = await close_code_or_open(
        ticket_socket(appointment.pk, query.encode("utf-8", "surrogatepass").decode("latin-1"))
    )

    assert code == NOT_AUTHENTICATED


@pytest.mark.django_db(transaction=True)
async def test_a_ticket_is_tried_before_a_token(appointment, chat_communicator):
    # The patient's ticket beside the professional's token: the ticket names the user.
    ticket = await database_sync_to_async(ticket_issue)(user=appointment.patient)
    token_socket = await chat_communicator(appointment.pk, user=appointment.psychologist)
    token_query = token_socket.scope["query_string"].decode()
    socket = ticket_socket(appointment.pk, f"ticket={ticket}&{token_query}")

    connected, _ = await socket.connect(timeout=5)
    await socket.send_json_to({"message": "Hola"})
    frame = await socket.receive_json_from(timeout=5)
    await socket.disconnect()

    assert connected
    assert frame["sender"]["id"] == appointment.patient.pk


@pytest.mark.django_db(transaction=True)
def test_concurrent_redemptions_accept_a_ticket_once(patient):
    key = ticket_issue(user=patient)

    def redeem(_):
        # The in-memory SQLite test database is shared between threads in shared-cache mode,
        # where a writer that meets another's table lock fails at once instead of waiting for
        # it as a file database (and PostgreSQL) does: try again, as a waiting writer would.
        try:
            for _attempt in range(200):
                try:
                    return ticket_redeem(key=key)
                except OperationalError as exc:
                    if "locked" not in str(exc):
                        raise
                    time.sleep(0.01)
            raise AssertionError("the ticket table stayed locked")
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=4) as pool:
        users = list(pool.map(redeem, range(8)))

    assert [user.pk for user in users if user is not None] == [patient.pk]
