"""Signed webhooks: a real HTTP receiver on 127.0.0.1 (allowed explicitly) verifies each
message with ``standardwebhooks``; failures are retried and disable the endpoint; redelivery
keeps the message id; loopback, private and reserved addresses are refused when the endpoint
is saved and again when a message is sent; ``/api/webhooks/`` is for clinic administrators.
"""

from __future__ import annotations

import datetime as dt
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.urls import include, path
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from psico_accounts.testing.factories import AdminFactory, PatientFactory, ProfessionalFactory
from psico_core.tasks_compat import IMMEDIATE_BACKEND, TaskResultStatus
from psico_core.testing import worker
from psico_notifications import webhooks
from psico_notifications.checks import check_webhook_settings
from psico_notifications.models import WebhookDelivery, WebhookDeliveryStatus, WebhookEndpoint
from psico_scheduling import services
from psico_scheduling.models import AppointmentEvent
from psico_scheduling.tasks import relay_appointment_events
from psico_scheduling.testing.factories import weekly_schedule_for
from standardwebhooks import Webhook, WebhookVerificationError

# The tests' own URLconf: the package's routes as a site mounts them.
urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("psico_accounts.urls")),
    path("api/webhooks/", include("psico_notifications.webhook_urls")),
]

pytestmark = pytest.mark.urls(__name__)

ENDPOINTS = "/api/webhooks/endpoints/"
DELIVERIES = "/api/webhooks/deliveries/"
BOOKED = "appointment.booked"
CONFIRMED = "appointment.confirmed"
CANCELLED = "appointment.cancelled"
PACKAGE_DIR = Path(__file__).resolve().parent.parent
SEND = "psico_notifications.tasks.send_webhook"
LOCAL_RECEIVER = {
    "WEBHOOK_ALLOWED_NETWORKS": ["127.0.0.1/32"],
    "WEBHOOK_ALLOWED_PORTS": None,
    "WEBHOOK_RETRY_DELAYS_SECONDS": [0, 0],
    "WEBHOOK_DISABLE_AFTER_FAILURES": 2,
}


# -- a real receiver ------------------------------------------------------------------------


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """An HTTP server on 127.0.0.1 that records every POST and answers ``status``."""

    server: ThreadingHTTPServer
    status: int = 200
    location: str | None = None
    answer: bytes | None = None
    drip: bool = False
    requests: list[Received] = field(default_factory=list)

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"


@pytest.fixture
def receiver():
    handler_state: dict[str, Receiver] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's name)
            state = handler_state["receiver"]
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            if state.drip:
                # A status line, then a header a byte at a time for half a minute.
                state.requests.append(
                    Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                )
                try:
                    self.wfile.write(b"HTTP/1.1 200 OK\r\nX-Slow: ")
                    for _ in range(150):
                        self.wfile.write(b"a")
                        self.wfile.flush()
                        time.sleep(0.2)
                except OSError:
                    pass  # the client hung up
                self.close_connection = True
                return
            state.requests.append(
                Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            )
            self.send_response(state.status)
            if state.location:
                self.send_header("Location", state.location)
            answer = state.answer
            if answer is None:
                answer = b"ok" if state.status < 300 else b"receiver says no"
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format, *args):  # keep the test output quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state = Receiver(server)
    handler_state["receiver"] = state
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()
    thread.join()


def verified(secret: str, request: Received) -> dict:
    """The payload, once ``standardwebhooks`` verified its signature (or raised)."""
    return Webhook(secret).verify(request.body, request.headers)


# -- the world -------------------------------------------------------------------------------


@pytest.fixture
def local_receiver_allowed(settings):
    settings.PSICO_NOTIFICATIONS = dict(LOCAL_RECEIVER)


@pytest.fixture
def people(db):
    professional = ProfessionalFactory()
    weekly_schedule_for(professional)
    return PatientFactory(), professional


def _next_monday() -> dt.date:
    today = timezone.localdate()
    return today + dt.timedelta(days=7 - today.weekday())


def _book(people, hour: int = 9):
    patient, professional = people
    return services.appointment_book(
        patient=patient, psychologist=professional, date=_next_monday(), start_time=dt.time(hour)
    )


def _create_endpoint(client, url: str, events=(BOOKED,), **extra):
    response = client.post(ENDPOINTS, {"url": url, "events": list(events), **extra}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


# -- signed delivery ---------------------------------------------------------------------------


@pytest.mark.usefixtures("local_receiver_allowed")
def test_a_booking_reaches_the_receiver_signed(api_client_for, people, receiver):
    admin_user = AdminFactory()
    client = api_client_for(admin_user)
    created = _create_endpoint(client, receiver.url(), description="Clinic CRM")
    other = _create_endpoint(client, receiver.url("/confirmations"), events=[CONFIRMED])
    appointment = _book(people)

    relay_appointment_events.call()

    [request] = receiver.requests
    assert request.path == "/hook"
    payload = verified(created["secret"], request)
    patient, professional = people
    assert payload["type"] == BOOKED
    assert payload["data"] == {
        "appointment_id": appointment.pk,
        "status": "pending",
        "start": appointment.start.astimezone(dt.UTC).isoformat(),
        "end": appointment.end.astimezone(dt.UTC).isoformat(),
        "psychologist_id": professional.pk,
        "patient_id": patient.pk,
        "sequence": 0,
        "actor_id": patient.pk,
    }
    assert dt.datetime.fromisoformat(payload["timestamp"]).utcoffset() == dt.timedelta(0)
    assert dt.datetime.fromisoformat(payload["data"]["start"]) == appointment.start
    # No contact or clinical data anywhere in the message.
    for private in (patient.email, patient.first_name, professional.email, appointment.reason):
        if private:
            assert private not in request.body.decode()
    with pytest.raises(WebhookVerificationError):
        verified(other["secret"], request)
    assert request.headers["webhook-id"].startswith("msg_")
    assert request.headers["user-agent"].startswith("Psico-Webhooks/")

    delivery = WebhookDelivery.objects.get()
    assert delivery.endpoint_id == created["id"]
    assert (delivery.status, delivery.attempts, delivery.response_status_code) == (
        WebhookDeliveryStatus.DELIVERED,
        1,
        200,
    )
    assert delivery.message_id == request.headers["webhook-id"]
    assert delivery.response_excerpt == "ok"
    assert delivery.next_attempt_at is None

    listed = client.get(DELIVERIES).json()
    assert [row["message_id"] for row in listed["results"]] == [delivery.message_id]
    assert listed["results"][0]["payload"] == payload


@pytest.mark.usefixtures("local_receiver_allowed")
def test_an_event_relayed_again_is_not_sent_again(api_client_for, people, receiver):
    _create_endpoint(api_client_for(AdminFactory()), receiver.url())
    _book(people)
    relay_appointment_events.call()
    event = AppointmentEvent.objects.get()

    # What a relay that died before its commit would do on its next run.
    from psico_scheduling.signals import appointment_event_recorded

    appointment_event_recorded.send(AppointmentEvent, event=event)

    assert len(receiver.requests) == 1
    assert WebhookDelivery.objects.count() == 1


@pytest.mark.usefixtures("local_receiver_allowed")
def test_an_endpoint_hears_only_of_what_happens_after_it_was_added(
    api_client_for, people, receiver
):
    client = api_client_for(AdminFactory())
    appointment = _book(people)  # not relayed yet: the worker is behind
    created = _create_endpoint(client, receiver.url(), events=[BOOKED, CANCELLED])

    relay_appointment_events.call()

    assert receiver.requests == []
    assert not WebhookDelivery.objects.exists()
    # The next event, after the endpoint was added, reaches it.
    services.appointment_cancel(appointment=appointment, by=people[0], reason="Viaje")
    relay_appointment_events.call()
    assert [verified(created["secret"], request)["type"] for request in receiver.requests] == [
        CANCELLED
    ]


@pytest.mark.usefixtures("local_receiver_allowed")
def test_the_secret_is_shown_at_creation_only_and_a_rotation_replaces_it(
    api_client_for, people, receiver
):
    client = api_client_for(AdminFactory())
    created = _create_endpoint(client, receiver.url())
    assert created["secret"].startswith("whsec_")
    assert len(Webhook(created["secret"])._whsecret) == webhooks.SECRET_BYTES

    assert "secret" not in client.get(f"{ENDPOINTS}{created['id']}/").json()
    assert all("secret" not in row for row in client.get(ENDPOINTS).json()["results"])
    changed = client.patch(f"{ENDPOINTS}{created['id']}/", {"description": "x"}, format="json")
    assert "secret" not in changed.json()

    rotated = client.post(f"{ENDPOINTS}{created['id']}/rotate-secret/").json()
    assert rotated["secret"].startswith("whsec_")
    assert rotated["secret"] != created["secret"]
    _book(people)
    relay_appointment_events.call()

    [request] = receiver.requests
    assert verified(rotated["secret"], request)["type"] == BOOKED
    with pytest.raises(WebhookVerificationError):
        verified(created["secret"], request)


@pytest.mark.usefixtures("local_receiver_allowed")
def test_a_redirect_is_not_followed(api_client_for, people, receiver):
    receiver.status, receiver.location = 302, receiver.url("/elsewhere")
    _create_endpoint(api_client_for(AdminFactory()), receiver.url())
    _book(people)

    relay_appointment_events.call()

    assert [request.path for request in receiver.requests] == ["/hook"]
    delivery = WebhookDelivery.objects.get()
    # The immediate backend cannot wait for a retry: the message has failed.
    assert (delivery.status, delivery.response_status_code) == (WebhookDeliveryStatus.FAILED, 302)
    assert delivery.error == "HTTP 302"
    assert WebhookEndpoint.objects.get().consecutive_failures == 1


@pytest.mark.usefixtures("local_receiver_allowed")
def test_a_delivered_message_resets_the_count_of_failures(api_client_for, people, receiver):
    created = _create_endpoint(api_client_for(AdminFactory()), receiver.url())
    WebhookEndpoint.objects.filter(pk=created["id"]).update(consecutive_failures=1)
    _book(people)

    relay_appointment_events.call()

    assert WebhookEndpoint.objects.get().consecutive_failures == 0


def test_an_inactive_endpoint_gets_nothing(api_client_for, people, receiver, settings):
    settings.PSICO_NOTIFICATIONS = dict(LOCAL_RECEIVER)
    _create_endpoint(api_client_for(AdminFactory()), receiver.url(), is_active=False)
    _book(people)

    relay_appointment_events.call()

    assert receiver.requests == []
    assert not WebhookDelivery.objects.exists()


@pytest.mark.usefixtures("local_receiver_allowed")
def test_cancellations_and_new_times_say_what_changed_and_nothing_private(
    api_client_for, people, receiver
):
    created = _create_endpoint(
        api_client_for(AdminFactory()),
        receiver.url(),
        events=["appointment.rescheduled", "appointment.cancelled"],
    )
    patient, _professional = people
    appointment = _book(people)
    previous_start, previous_end = appointment.start, appointment.end
    services.appointment_update(
        appointment=appointment, by=patient, start_time=dt.time(11), reason="Ansiedad"
    )
    services.appointment_cancel(appointment=appointment, by=patient, reason="Me mudo de ciudad")

    relay_appointment_events.call()

    moved, cancelled = (verified(created["secret"], request) for request in receiver.requests)
    assert moved["type"] == "appointment.rescheduled"
    assert dt.datetime.fromisoformat(moved["data"]["previous_start"]) == previous_start
    assert dt.datetime.fromisoformat(moved["data"]["previous_end"]) == previous_end
    assert moved["data"]["sequence"] == 1
    assert cancelled["type"] == "appointment.cancelled"
    appointment.refresh_from_db()
    assert cancelled["data"]["late"] is appointment.is_late_cancellation
    assert cancelled["data"]["sequence"] == 2
    bodies = b"".join(request.body for request in receiver.requests).decode()
    assert "Ansiedad" not in bodies
    assert "Me mudo" not in bodies


@pytest.mark.usefixtures("local_receiver_allowed")
def test_only_the_start_of_a_long_answer_is_kept(api_client_for, people, receiver):
    receiver.status, receiver.answer = 400, ("é" * 1_000_000).encode()
    _create_endpoint(api_client_for(AdminFactory()), receiver.url())
    _book(people)

    relay_appointment_events.call()

    delivery = WebhookDelivery.objects.get()
    assert delivery.response_status_code == 400
    assert 0 < len(delivery.response_excerpt) <= webhooks.RESPONSE_EXCERPT_LENGTH
    assert set(delivery.response_excerpt) <= {"é", "\ufffd"}


def test_an_endpoint_that_drips_its_answer_fails_at_the_timeout(
    api_client_for, people, receiver, settings
):
    settings.PSICO_NOTIFICATIONS = {**LOCAL_RECEIVER, "WEBHOOK_TIMEOUT_SECONDS": 1}
    receiver.drip = True
    _create_endpoint(api_client_for(AdminFactory()), receiver.url())
    _book(people)

    relay_appointment_events.call()

    assert len(receiver.requests) == 1
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDeliveryStatus.FAILED
    assert delivery.response_status_code is None
    # Not the protocol error the end of the dripping would give, half a minute later.
    assert delivery.error == "Timed out: no complete answer within 1 s."


@pytest.mark.usefixtures("local_receiver_allowed")
def test_a_message_to_an_endpoint_deactivated_meanwhile_is_skipped(
    api_client_for, people, receiver, settings
):
    from psico_notifications.tasks import send_webhook

    dummy = IMMEDIATE_BACKEND.replace("immediate.ImmediateBackend", "dummy.DummyBackend")
    settings.TASKS = {"default": {"BACKEND": dummy}}
    client = api_client_for(AdminFactory())
    created = _create_endpoint(client, receiver.url())
    _book(people)
    relay_appointment_events.call()  # the task waits (the dummy backend runs nothing)
    delivery = WebhookDelivery.objects.get()
    client.patch(f"{ENDPOINTS}{created['id']}/", {"is_active": False}, format="json")

    assert send_webhook.call(delivery_id=delivery.pk) == webhooks.SKIPPED
    assert send_webhook.call(delivery_id=delivery.pk) == webhooks.ALREADY_DONE
    assert receiver.requests == []
    delivery.refresh_from_db()
    assert (delivery.status, delivery.next_attempt_at) == (WebhookDeliveryStatus.SKIPPED, None)


@pytest.mark.usefixtures("local_receiver_allowed")
def test_a_name_that_does_not_resolve_fails_the_attempt(
    api_client_for, people, receiver, monkeypatch
):
    real = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        if host == "hooks.clinic.test":
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    _create_endpoint(api_client_for(AdminFactory()), "http://hooks.clinic.test/hook")
    _book(people)

    relay_appointment_events.call()

    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDeliveryStatus.FAILED
    assert "hooks.clinic.test could not be resolved" in delivery.error


def test_the_services_refuse_a_forbidden_url_too(db):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        webhooks.webhook_endpoint_create(
            url="http://10.0.0.1/", events=[BOOKED], created_by=AdminFactory()
        )
    assert "url" in refused.value.message_dict
    endpoint = webhooks.webhook_endpoint_create(
        url="https://hooks.example.com/", events=[BOOKED, BOOKED], created_by=None
    )
    assert endpoint.events == [BOOKED]
    with pytest.raises(ValidationError):
        webhooks.webhook_endpoint_update(endpoint=endpoint, url="http://[::1]/")
    with pytest.raises(TypeError):
        webhooks.webhook_endpoint_update(endpoint=endpoint, secret="whsec_AAAA")


@pytest.mark.django_db(transaction=True)
def test_a_delivery_another_worker_is_sending_is_left_to_it(local_receiver_allowed, receiver):
    """A second worker finds the row locked and sends nothing (PostgreSQL's SKIP LOCKED)."""
    from django.db import connection, connections, transaction
    from psico_notifications.tasks import send_webhook

    if connection.vendor != "postgresql":
        pytest.skip("Row locks need PostgreSQL.")
    professional = ProfessionalFactory()
    weekly_schedule_for(professional)
    # Booked (and relayed, at its commit) before the endpoint exists: nothing is sent yet.
    _book((PatientFactory(), professional))
    endpoint = WebhookEndpoint.objects.create(
        url=receiver.url(), events=[BOOKED], secret=webhooks.webhook_secret_generate()
    )
    event = AppointmentEvent.objects.get()
    # As if the endpoint had been added just before the booking, whose relay is now late.
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        created_at=event.created_at - dt.timedelta(seconds=1)
    )
    [delivery] = webhooks.webhook_deliveries_create(event=event)
    locked, release = threading.Event(), threading.Event()

    def other_worker() -> None:
        try:
            with transaction.atomic():
                WebhookDelivery.objects.select_for_update().get(pk=delivery.pk)
                locked.set()
                release.wait(timeout=30)
        finally:
            connections.close_all()

    thread = threading.Thread(target=other_worker)
    thread.start()
    try:
        assert locked.wait(timeout=30)
        assert send_webhook.call(delivery_id=delivery.pk) == webhooks.IN_PROGRESS
    finally:
        release.set()
        thread.join()
    assert receiver.requests == []
    assert endpoint.deliveries.get().status == WebhookDeliveryStatus.PENDING


# -- a real worker: retries, disabling, redelivery -----------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("database_tasks")
def test_a_failing_receiver_is_retried_then_disabled_and_redelivery_keeps_the_id(
    api_client_for, settings, smtp_server, receiver
):
    """Through ``manage.py db_worker`` (a process of its own on PostgreSQL)."""
    settings.PSICO_NOTIFICATIONS = dict(LOCAL_RECEIVER)
    receiver.status = 500
    client = api_client_for(AdminFactory())
    created = _create_endpoint(client, receiver.url())
    professional = ProfessionalFactory()
    weekly_schedule_for(professional)
    people = (PatientFactory(), professional)
    first = _book(people, hour=9)
    _book(people, hour=10)

    def run_worker() -> None:
        worker.run_worker(
            package_dir=PACKAGE_DIR, smtp_port=smtp_server.port, forward=["PSICO_NOTIFICATIONS"]
        )

    run_worker()

    # Two messages, each tried three times (the first attempt and two retries), in vain.
    assert len(receiver.requests) == 6
    by_message: dict[str, list[Received]] = {}
    for request in receiver.requests:
        by_message.setdefault(request.headers["webhook-id"], []).append(request)
        assert verified(created["secret"], request)["type"] == BOOKED
    assert sorted(len(attempts) for attempts in by_message.values()) == [3, 3]
    deliveries = list(WebhookDelivery.objects.order_by("id"))
    assert [(d.status, d.attempts, d.response_status_code) for d in deliveries] == [
        (WebhookDeliveryStatus.FAILED, 3, 500),
        (WebhookDeliveryStatus.FAILED, 3, 500),
    ]
    assert deliveries[0].response_excerpt == "receiver says no"
    outcomes = sorted(
        DBTaskResult.objects.filter(task_path=SEND).values_list("status", "return_value")
    )
    assert outcomes == sorted(
        [(TaskResultStatus.SUCCESSFUL, "retry_scheduled")] * 4
        + [(TaskResultStatus.SUCCESSFUL, "failed")] * 2
    )

    # Two failed messages in a row: the endpoint is disabled, and the API says so.
    shown = client.get(f"{ENDPOINTS}{created['id']}/").json()
    assert shown["is_active"] is False
    assert shown["consecutive_failures"] == 2
    assert shown["disabled_at"] is not None
    assert shown["disabled_reason"]
    _book(people, hour=11)
    run_worker()
    assert len(receiver.requests) == 6  # a disabled endpoint gets no new message

    # Redelivery waits for the endpoint to be active again.
    [first_delivery] = [d for d in deliveries if d.payload["data"]["appointment_id"] == first.pk]
    redeliver = f"{DELIVERIES}{first_delivery.pk}/redeliver/"
    refused = client.post(redeliver)
    assert refused.status_code == 400, refused.content
    reactivated = client.patch(f"{ENDPOINTS}{created['id']}/", {"is_active": True}, format="json")
    assert reactivated.json()["consecutive_failures"] == 0
    assert reactivated.json()["disabled_at"] is None

    receiver.status = 204
    accepted = client.post(redeliver)
    assert accepted.status_code == 202, accepted.content
    assert accepted.json()["status"] == WebhookDeliveryStatus.PENDING
    assert client.post(redeliver).status_code == 400  # still being delivered
    run_worker()

    last = receiver.requests[-1]
    assert last.headers["webhook-id"] == first_delivery.message_id
    assert verified(created["secret"], last)["data"]["appointment_id"] == first.pk
    first_delivery.refresh_from_db()
    assert (first_delivery.status, first_delivery.attempts) == (
        WebhookDeliveryStatus.DELIVERED,
        4,
    )
    assert first_delivery.response_status_code == 204


# -- addresses ------------------------------------------------------------------------------------

REFUSED_URLS = [
    "http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/hook",
    "http://127.0.0.1/hook",
    "http://127.8.9.10/hook",
    "http://localhost/hook",
    "http://api.localhost/hook",
    "http://10.0.0.1/hook",
    "http://172.16.5.4/hook",
    "http://192.168.1.1/hook",
    "http://100.64.0.1/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://0.0.0.0/hook",
    "http://224.0.0.1/hook",
    "http://240.0.0.1/hook",
    "http://255.255.255.255/hook",
    "http://[::1]/hook",
    "http://[::]/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://[::ffff:10.0.0.1]/hook",
    "http://[fe80::1]/hook",
    "http://[fc00::1]/hook",
    "http://[ff02::1]/hook",
    "http://[2002:7f00:1::]/hook",
    "http://2130706433/hook",
    "http://0x7f.0.0.1/hook",
    "http://127.1/hook",
    "ftp://hooks.example.com/",
    "file:///etc/passwd",
    "gopher://hooks.example.com/",
    "javascript:alert(1)",
    "http://user:secret@hooks.example.com/",
    "https://hooks.example.com:22/",
    "https://hooks.example.com:6379/",
    "not a url",
]


@pytest.mark.parametrize("url", REFUSED_URLS)
def test_a_forbidden_url_is_refused_when_the_endpoint_is_created(api_client_for, url):
    client = api_client_for(AdminFactory())

    response = client.post(ENDPOINTS, {"url": url, "events": [BOOKED]}, format="json")

    assert response.status_code == 400, response.content
    assert set(response.json()) == {"url"}
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize("url", REFUSED_URLS)
def test_the_guard_refuses_each_forbidden_url(url):
    assert webhooks.webhook_url_problem(url) is not None


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.example.com/psico",
        "http://hooks.example.com:8080/psico?x=1",
        "https://93.184.215.14/hook",
        "https://[2606:2800:21f:cb07:6820:80da:af6b:8b2c]/hook",
    ],
)
def test_public_urls_are_accepted(api_client_for, url):
    client = api_client_for(AdminFactory())
    response = client.post(ENDPOINTS, {"url": url, "events": [BOOKED]}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["url"] == url


def test_a_refused_address_speaks_the_clients_language(api_client_for):
    body = {"url": "http://10.1.2.3/hook", "events": [BOOKED]}
    spanish = api_client_for(AdminFactory(), language="es").post(ENDPOINTS, body, format="json")
    english = api_client_for(AdminFactory(), language="en").post(ENDPOINTS, body, format="json")
    assert "private" in english.json()["url"][0]
    assert "privadas" in spanish.json()["url"][0]


def test_a_url_changed_to_a_private_address_is_refused(api_client_for):
    client = api_client_for(AdminFactory())
    created = _create_endpoint(client, "https://hooks.example.com/psico")
    response = client.patch(
        f"{ENDPOINTS}{created['id']}/", {"url": "http://192.168.0.10/"}, format="json"
    )
    assert response.status_code == 400
    assert WebhookEndpoint.objects.get().url == "https://hooks.example.com/psico"


def test_an_address_no_longer_allowed_is_refused_when_sending(
    api_client_for, people, receiver, settings
):
    settings.PSICO_NOTIFICATIONS = dict(LOCAL_RECEIVER)
    _create_endpoint(api_client_for(AdminFactory()), receiver.url())
    settings.PSICO_NOTIFICATIONS = {**LOCAL_RECEIVER, "WEBHOOK_ALLOWED_NETWORKS": []}
    _book(people)

    relay_appointment_events.call()

    assert receiver.requests == []
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDeliveryStatus.FAILED
    assert "127.0.0.1" in delivery.error
    assert delivery.response_status_code is None


@pytest.fixture
def clinic_name_resolves_to(monkeypatch):
    """``hooks.clinic.test`` resolves to the given address, and the lookups of it are counted;
    every other lookup (IP literals included) goes to the real resolver."""
    real = socket.getaddrinfo
    lookups: list[str] = []
    answer: dict[str, str] = {}

    def getaddrinfo(host, port, *args, **kwargs):
        if host == "hooks.clinic.test":
            lookups.append(host)
            return real(answer["address"], port, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)

    def point(address: str) -> list[str]:
        answer["address"] = address
        return lookups

    return point


def test_a_name_is_resolved_once_and_the_checked_address_is_the_one_connected_to(
    api_client_for, people, receiver, settings, clinic_name_resolves_to
):
    settings.PSICO_NOTIFICATIONS = dict(LOCAL_RECEIVER)
    lookups = clinic_name_resolves_to("127.0.0.1")
    url = f"http://hooks.clinic.test:{receiver.port}/hook"
    created = _create_endpoint(api_client_for(AdminFactory()), url)
    _book(people)

    relay_appointment_events.call()

    [request] = receiver.requests
    assert lookups == ["hooks.clinic.test"]  # the client connected to the checked address
    assert request.headers["host"] == f"hooks.clinic.test:{receiver.port}"
    assert verified(created["secret"], request)["type"] == BOOKED


def _certificate_authority(tmp_path: Path, *, server_name: str):
    """A certificate authority (its PEM file) and a server certificate it signed for
    ``server_name`` (certificate and key files)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = dt.datetime.now(dt.UTC)

    def name(common_name: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])

    def usage(**kwargs) -> x509.KeyUsage:
        flags = dict.fromkeys(
            (
                "digital_signature",
                "content_commitment",
                "key_encipherment",
                "data_encipherment",
                "key_agreement",
                "key_cert_sign",
                "crl_sign",
                "encipher_only",
                "decipher_only",
            ),
            False,
        )
        return x509.KeyUsage(**{**flags, **kwargs})

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(name("Psico test CA"))
        .issuer_name(name("Psico test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(usage(key_cert_sign=True, crl_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name(server_name))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(server_name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(usage(digital_signature=True), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    files = {name: tmp_path / f"{name}.pem" for name in ("ca", "certificate", "key")}
    files["ca"].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    files["certificate"].write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    files["key"].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return files


@pytest.mark.parametrize("certified_name", ["hooks.clinic.test", "other.clinic.test"])
def test_https_to_the_checked_address_verifies_the_certificate_of_the_name(
    api_client_for,
    people,
    receiver,
    settings,
    clinic_name_resolves_to,
    monkeypatch,
    tmp_path,
    certified_name,
):
    import ssl

    files = _certificate_authority(tmp_path, server_name=certified_name)
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(files["certificate"], files["key"])
    receiver.server.socket = server_context.wrap_socket(receiver.server.socket, server_side=True)

    # The client trusts the test's authority instead of certifi's (nothing else changes).
    monkeypatch.setattr(
        webhooks, "tls_context", lambda: ssl.create_default_context(cafile=str(files["ca"]))
    )
    settings.PSICO_NOTIFICATIONS = dict(LOCAL_RECEIVER)
    clinic_name_resolves_to("127.0.0.1")
    created = _create_endpoint(
        api_client_for(AdminFactory()), f"https://hooks.clinic.test:{receiver.port}/hook"
    )
    _book(people)

    relay_appointment_events.call()

    delivery = WebhookDelivery.objects.get()
    if certified_name == "hooks.clinic.test":
        [request] = receiver.requests
        assert verified(created["secret"], request)["type"] == BOOKED
        assert delivery.status == WebhookDeliveryStatus.DELIVERED
    else:  # a certificate for another name is refused, although the address is right
        assert receiver.requests == []
        assert delivery.status == WebhookDeliveryStatus.FAILED
        assert "certificate" in delivery.error.lower()


def test_a_name_that_now_points_inside_is_refused_when_sending(
    api_client_for, people, receiver, settings, clinic_name_resolves_to
):
    # Saved while it pointed outside; by the time the message goes, it points at loopback.
    settings.PSICO_NOTIFICATIONS = {**LOCAL_RECEIVER, "WEBHOOK_ALLOWED_NETWORKS": []}
    clinic_name_resolves_to("127.0.0.1")
    _create_endpoint(
        api_client_for(AdminFactory()), f"http://hooks.clinic.test:{receiver.port}/hook"
    )
    _book(people)

    relay_appointment_events.call()

    assert receiver.requests == []
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDeliveryStatus.FAILED
    assert "127.0.0.1" in delivery.error


def test_the_connection_goes_only_to_the_checked_host():
    import ipaddress

    import httpcore

    backend = webhooks._PinnedBackend(
        host="hooks.clinic.test",
        address=ipaddress.ip_address("127.0.0.1"),
        deadline=time.monotonic() + 5,
    )
    with pytest.raises(httpcore.ConnectError):
        backend.connect_tcp("169.254.169.254", 80)
    with pytest.raises(httpcore.ConnectError):
        backend.connect_unix_socket("/var/run/docker.sock")


def test_allowed_networks_open_an_address_and_nothing_else(settings):
    settings.PSICO_NOTIFICATIONS = {"WEBHOOK_ALLOWED_NETWORKS": ["10.20.0.0/16"]}
    assert webhooks.webhook_url_problem("http://10.20.3.4/hook") is None
    assert webhooks.webhook_url_problem("http://10.21.3.4/hook") is not None
    assert webhooks.webhook_url_problem("http://[::ffff:10.20.3.4]/hook") is None
    assert webhooks.webhook_url_problem("http://127.0.0.1/hook") is not None


# -- hostile input --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"url": "https://hooks.example.com/"},
        {"events": [BOOKED]},
        {"url": "https://hooks.example.com/" + "a" * 20_000, "events": [BOOKED]},
        {"url": " ".join(["word"] * 5_000), "events": [BOOKED]},
        {"url": 12345, "events": [BOOKED]},
        {"url": ["https://hooks.example.com/"], "events": [BOOKED]},
        {"url": {"a": {"b": {"c": []}}}, "events": [BOOKED]},
        {"url": None, "events": [BOOKED]},
        {"url": "https://hooks.example.com/\x00", "events": [BOOKED]},
        {"url": "https://hooks.example.com:٨٠/", "events": [BOOKED]},
        {"url": "https://hooks.example.com:99999/", "events": [BOOKED]},
        {"url": "https://hooks.example.com/", "events": []},
        {"url": "https://hooks.example.com/", "events": BOOKED},
        {"url": "https://hooks.example.com/", "events": ["appointment.deleted"]},
        {"url": "https://hooks.example.com/", "events": [[BOOKED]]},
        {"url": "https://hooks.example.com/", "events": [{"type": BOOKED}]},
        {"url": "https://hooks.example.com/", "events": [BOOKED] * 5_000},
        {"url": "https://hooks.example.com/", "events": ["x" * 20_000]},
        {"url": "https://hooks.example.com/", "events": None},
        {"url": "https://hooks.example.com/", "events": [BOOKED], "is_active": "true"},
        {"url": "https://hooks.example.com/", "events": [BOOKED], "is_active": 1},
        {"url": "https://hooks.example.com/", "events": [BOOKED], "is_active": None},
        {"url": "https://hooks.example.com/", "events": [BOOKED], "description": "x" * 20_000},
        {"url": "https://hooks.example.com/", "events": [BOOKED], "description": 5},
        {"url": "https://hooks.example.com/", "events": [BOOKED], "description": {"a": 1}},
        {"url": "https://hooks.example.com/", "events": [BOOKED], "description": "a\x00b"},
    ],
)
def test_hostile_fields_get_400(api_client_for, body):
    response = api_client_for(AdminFactory()).post(ENDPOINTS, body, format="json")

    assert response.status_code == 400, response.content
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize(
    "raw",
    [
        '{"url": "https://hooks.example.com/\\ud800", "events": ["appointment.booked"]}',
        '{"url": "https://hooks.example.com/", "events": ["\\udfff"]}',
        "[" * 5_000 + "]" * 5_000,
        '{"url": ' + "[" * 200 + "]" * 200 + ', "events": []}',
        '{"url": NaN, "events": ["appointment.booked"]}',
        "x" * 20_000,
        "\xff\xfe not utf-8",
    ],
)
def test_hostile_bodies_get_400(api_client_for, raw):
    response = api_client_for(AdminFactory()).generic(
        "POST", ENDPOINTS, raw.encode("utf-8", "surrogatepass"), "application/json"
    )
    assert response.status_code == 400, response.content
    assert not WebhookEndpoint.objects.exists()


def test_an_update_cannot_write_what_the_server_owns(api_client_for):
    client = api_client_for(AdminFactory())
    created = _create_endpoint(client, "https://hooks.example.com/")
    response = client.patch(
        f"{ENDPOINTS}{created['id']}/",
        {
            "secret": "whsec_AAAA",
            "consecutive_failures": 99,
            "disabled_at": "2020-01-01T00:00:00Z",
            "created_by": PatientFactory().pk,
            "events": [CONFIRMED, CONFIRMED],
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.secret == created["secret"]
    assert (endpoint.consecutive_failures, endpoint.disabled_at) == (0, None)
    assert endpoint.created_by_id == created["created_by"]
    assert endpoint.events == [CONFIRMED]


@pytest.mark.parametrize(
    "query",
    [
        "endpoint=abc",
        "endpoint=١",
        "endpoint=99999999999999999999",
        "endpoint=-1",
        "endpoint=1.5",
        "endpoint=",
        "endpoint=1&endpoint=2",
        "status=lost",
        "status=",
        "status=" + "x" * 20_000,
    ],
)
def test_hostile_delivery_filters_get_400(api_client_for, query):
    response = api_client_for(AdminFactory()).get(f"{DELIVERIES}?{query}")
    assert response.status_code == 400, response.content


@pytest.mark.parametrize("pk", ["0", "99999999999999999999", "999999999999999999"])
def test_extreme_ids_are_404(api_client_for, pk):
    client = api_client_for(AdminFactory())
    for url in (f"{ENDPOINTS}{pk}/", f"{DELIVERIES}{pk}/"):
        assert client.get(url).status_code == 404
    assert client.post(f"{DELIVERIES}{pk}/redeliver/").status_code == 404


# -- who may --------------------------------------------------------------------------------------


def _routes(endpoint_id: int, delivery_id: int):
    endpoint, delivery = f"{ENDPOINTS}{endpoint_id}/", f"{DELIVERIES}{delivery_id}/"
    body = {"url": "https://hooks.example.com/", "events": [BOOKED]}
    return [
        ("get", ENDPOINTS, None),
        ("post", ENDPOINTS, body),
        ("get", endpoint, None),
        ("put", endpoint, body),
        ("patch", endpoint, {"description": "x"}),
        ("post", f"{endpoint}rotate-secret/", None),
        ("delete", endpoint, None),
        ("get", DELIVERIES, None),
        ("get", delivery, None),
        ("post", f"{delivery}redeliver/", None),
    ]


@pytest.fixture
def delivered(people):
    endpoint = WebhookEndpoint.objects.create(
        url="https://hooks.example.com/", events=[BOOKED], secret=webhooks.webhook_secret_generate()
    )
    _book(people)
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint,
        event=AppointmentEvent.objects.get(),
        event_type=BOOKED,
        message_id="msg_1",
        status=WebhookDeliveryStatus.DELIVERED,
    )
    return endpoint, delivery


@pytest.mark.parametrize(
    ("actor", "expected"),
    [(None, 401), (PatientFactory, 403), (ProfessionalFactory, 403)],
)
def test_only_clinic_administrators_reach_webhooks(api_client_for, delivered, actor, expected):
    endpoint, delivery = delivered
    client = api_client_for(actor() if actor else None)
    for method, url, body in _routes(endpoint.pk, delivery.pk):
        response = getattr(client, method)(url, body, format="json")
        assert response.status_code == expected, (method, url, response.content)
    endpoint.refresh_from_db()
    assert endpoint.url == "https://hooks.example.com/"
    assert WebhookDelivery.objects.get().status == WebhookDeliveryStatus.DELIVERED


def test_a_clinic_administrator_reaches_every_route(
    api_client_for, delivered, django_capture_on_commit_callbacks
):
    endpoint, delivery = delivered
    client = api_client_for(AdminFactory(is_superuser=False, is_staff=False))
    answered = []
    with django_capture_on_commit_callbacks(execute=False):
        for method, url, body in _routes(endpoint.pk, delivery.pk):
            answered.append(getattr(client, method)(url, body, format="json").status_code)
    assert answered == [200, 201, 200, 200, 200, 200, 204, 200, 404, 404]
    # (the endpoint's deletion took its deliveries with it)


def test_deliveries_are_filtered_by_endpoint_and_status(api_client_for, delivered):
    endpoint, delivery = delivered
    client = api_client_for(AdminFactory())
    assert client.get(f"{DELIVERIES}?endpoint={endpoint.pk}").json()["count"] == 1
    assert client.get(f"{DELIVERIES}?endpoint={endpoint.pk + 1}").json()["count"] == 0
    assert client.get(f"{DELIVERIES}?status=delivered").json()["count"] == 1
    assert client.get(f"{DELIVERIES}?status=failed").json()["count"] == 0


# -- query counts ---------------------------------------------------------------------------------


def test_the_endpoint_list_costs_the_same_for_one_or_many(
    api_client_for, django_assert_num_queries
):
    client = api_client_for(AdminFactory())
    for number in range(5):
        WebhookEndpoint.objects.create(
            url=f"https://hooks{number}.example.com/", events=[BOOKED], secret="whsec_AAAA"
        )
    # The token and its user, the count, the page.
    with django_assert_num_queries(3):
        assert client.get(ENDPOINTS).json()["count"] == 5


def test_the_delivery_list_costs_the_same_for_one_or_many(
    api_client_for, people, delivered, django_assert_num_queries
):
    endpoint, _delivery = delivered
    for hour in range(10, 14):
        _book(people, hour=hour)
    for number, event in enumerate(
        AppointmentEvent.objects.exclude(webhook_deliveries__isnull=False)
    ):
        WebhookDelivery.objects.create(
            endpoint=endpoint, event=event, event_type=BOOKED, message_id=f"msg_more_{number}"
        )
    client = api_client_for(AdminFactory())
    # The token and its user, the count, the page.
    with django_assert_num_queries(3):
        assert client.get(DELIVERIES).json()["count"] == 5
    with django_assert_num_queries(3):
        assert (
            client.get(f"{DELIVERIES}?endpoint={endpoint.pk}&status=pending").json()["count"] == 4
        )


# -- admin and settings ---------------------------------------------------------------------------


def test_the_admin_shows_endpoints_and_deliveries_read_only(client, delivered):
    endpoint, delivery = delivered
    client.force_login(AdminFactory())
    for url in (
        "/admin/psico_notifications/webhookendpoint/",
        f"/admin/psico_notifications/webhookendpoint/{endpoint.pk}/change/",
        "/admin/psico_notifications/webhookdelivery/",
        f"/admin/psico_notifications/webhookdelivery/{delivery.pk}/change/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert endpoint.secret not in response.content.decode()
    assert client.get("/admin/psico_notifications/webhookdelivery/add/").status_code == 403


def test_admin_actions_go_through_the_services(client, delivered, settings):
    settings.TASKS = {
        "default": {
            "BACKEND": IMMEDIATE_BACKEND.replace("immediate.ImmediateBackend", "dummy.DummyBackend")
        }
    }
    endpoint, delivery = delivered
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        is_active=False, consecutive_failures=5, disabled_at=timezone.now(), disabled_reason="x"
    )
    client.force_login(AdminFactory())
    endpoints = "/admin/psico_notifications/webhookendpoint/"
    deliveries = "/admin/psico_notifications/webhookdelivery/"

    refused = client.post(
        deliveries, {"action": "redeliver", "_selected_action": [delivery.pk]}, follow=True
    )
    assert "inactive" in refused.content.decode() or "inactivo" in refused.content.decode()
    client.post(endpoints, {"action": "activate", "_selected_action": [endpoint.pk]})
    endpoint.refresh_from_db()
    assert (endpoint.is_active, endpoint.consecutive_failures, endpoint.disabled_at) == (
        True,
        0,
        None,
    )
    client.post(deliveries, {"action": "redeliver", "_selected_action": [delivery.pk]})
    delivery.refresh_from_db()
    assert delivery.status == WebhookDeliveryStatus.PENDING
    client.post(endpoints, {"action": "deactivate", "_selected_action": [endpoint.pk]})
    endpoint.refresh_from_db()
    assert endpoint.is_active is False


@pytest.mark.parametrize(
    ("setting", "value", "error_id"),
    [
        ("WEBHOOK_ALLOWED_NETWORKS", ["127.0.0.1/33"], "psico_notifications.E101"),
        ("WEBHOOK_ALLOWED_NETWORKS", "127.0.0.1/32", "psico_notifications.E101"),
        ("WEBHOOK_ALLOWED_PORTS", [0], "psico_notifications.E102"),
        ("WEBHOOK_ALLOWED_PORTS", [], "psico_notifications.E102"),
        ("WEBHOOK_TIMEOUT_SECONDS", 0, "psico_notifications.E103"),
        ("WEBHOOK_TIMEOUT_SECONDS", 600, "psico_notifications.E103"),
        ("WEBHOOK_RETRY_DELAYS_SECONDS", [-1], "psico_notifications.E104"),
        ("WEBHOOK_DISABLE_AFTER_FAILURES", 0, "psico_notifications.E105"),
        ("WEBHOOK_DISABLE_AFTER_FAILURES", True, "psico_notifications.E105"),
    ],
)
def test_bad_webhook_settings_fail_the_checks(settings, setting, value, error_id):
    settings.PSICO_NOTIFICATIONS = {setting: value}
    assert [error.id for error in check_webhook_settings(None)] == [error_id]


def test_the_default_settings_pass_the_checks():
    assert check_webhook_settings(None) == []
    call_command("check", "psico_notifications")


def test_payload_bodies_are_compact_sorted_json():
    assert webhooks.webhook_body({"b": 1, "a": "ñ"}) == '{"a":"ñ","b":1}'
    assert json.loads(webhooks.webhook_body({"x": [1]})) == {"x": [1]}
