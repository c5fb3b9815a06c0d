"""Webhooks through the generated client: a clinic administrator adds an endpoint (the secret
comes once, in the answer), finds it listed without its secret, and reads the delivery log."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import uuid
from http import HTTPStatus

import httpx
import pytest
from conftest import SITE_DIR

# The generated client is the `api` fixture of conftest.py.
from test_generated_client import model, ok, operation

pytestmark = pytest.mark.client


def test_an_admin_adds_an_endpoint_and_reads_the_delivery_log(api, live_server, request):
    admin = live_server.accounts["admin"]
    client = api.AuthenticatedClient(
        base_url=live_server.base_url,
        token=admin.token,
        prefix="Token",
        raise_on_unexpected_status=True,
    )
    request.addfinalizer(client.get_httpx_client().close)
    url = f"https://hooks-{uuid.uuid4().hex[:8]}.example.com/psico"

    created = ok(
        operation(api, "webhooks", "webhooks_endpoints_create").sync_detailed(
            client=client,
            body=model(api, "WebhookEndpointInputRequest")(
                url=url,
                events=[model(api, "EventsEnum")("appointment.booked")],
                description="CRM de la clínica",
            ),
        ),
        HTTPStatus.CREATED,
    )
    assert created.secret.startswith("whsec_")
    assert created.url == url
    assert [event.value for event in created.events] == ["appointment.booked"]
    assert created.is_active is True

    listed = ok(operation(api, "webhooks", "webhooks_endpoints_list").sync_detailed(client=client))
    [mine] = [endpoint for endpoint in listed.results if endpoint.id == created.id]
    assert mine.url == url
    assert not hasattr(mine, "secret")

    deliveries = ok(
        operation(api, "webhooks", "webhooks_deliveries_list").sync_detailed(
            client=client, endpoint=created.id
        )
    )
    # Nothing happened to an appointment since the endpoint was added.
    assert deliveries.count == 0
    assert deliveries.results == []

    # A private address is refused with the field's message, in the client's language.
    english = api.AuthenticatedClient(
        base_url=live_server.base_url,
        token=admin.token,
        prefix="Token",
        headers={"Accept-Language": "en"},
    )
    request.addfinalizer(english.get_httpx_client().close)
    refused = operation(api, "webhooks", "webhooks_endpoints_create").sync_detailed(
        client=english,
        body=model(api, "WebhookEndpointInputRequest")(
            url="http://169.254.169.254/latest/meta-data/",
            events=[model(api, "EventsEnum")("appointment.booked")],
        ),
    )
    assert refused.status_code == HTTPStatus.BAD_REQUEST
    assert b"private" in refused.content

    # A patient may not see any of it.
    patient = api.AuthenticatedClient(
        base_url=live_server.base_url, token=live_server.accounts["patient"].token, prefix="Token"
    )
    request.addfinalizer(patient.get_httpx_client().close)
    forbidden = operation(api, "webhooks", "webhooks_endpoints_list").sync_detailed(client=patient)
    assert forbidden.status_code == HTTPStatus.FORBIDDEN


def test_every_webhook_operation_through_the_generated_client(api, live_server, request):
    """An endpoint read, changed, given a new secret; a booking relayed by a real worker to
    it (a name that does not resolve: the attempt fails and is retried later); the delivery
    read and its redelivery refused while it waits; the endpoint deleted."""
    admin = api.AuthenticatedClient(
        base_url=live_server.base_url,
        token=live_server.accounts["admin"].token,
        prefix="Token",
        raise_on_unexpected_status=True,
    )
    request.addfinalizer(admin.get_httpx_client().close)
    # The same administrator, for the answers checked by status (no exception on a 4xx).
    lenient = api.AuthenticatedClient(
        base_url=live_server.base_url, token=live_server.accounts["admin"].token, prefix="Token"
    )
    request.addfinalizer(lenient.get_httpx_client().close)
    endpoint_input = model(api, "WebhookEndpointInputRequest")
    booked_event = model(api, "EventsEnum")("appointment.booked")
    created = ok(
        operation(api, "webhooks", "webhooks_endpoints_create").sync_detailed(
            client=admin,
            body=endpoint_input(
                url=f"https://hooks-{uuid.uuid4().hex[:8]}.invalid/psico", events=[booked_event]
            ),
        ),
        HTTPStatus.CREATED,
    )

    read = ok(
        operation(api, "webhooks", "webhooks_endpoints_retrieve").sync_detailed(
            created.id, client=admin
        )
    )
    assert (read.id, read.url, read.consecutive_failures) == (created.id, created.url, 0)
    replaced = ok(
        operation(api, "webhooks", "webhooks_endpoints_update").sync_detailed(
            created.id,
            client=admin,
            body=endpoint_input(url=created.url, events=[booked_event], description="Agenda"),
        )
    )
    assert replaced.description == "Agenda"
    patched = ok(
        operation(api, "webhooks", "webhooks_endpoints_partial_update").sync_detailed(
            created.id,
            client=admin,
            body=model(api, "PatchedWebhookEndpointInputRequest")(description="Agenda central"),
        )
    )
    assert patched.description == "Agenda central"
    rotated = ok(
        operation(api, "webhooks", "webhooks_endpoints_rotate_secret_create").sync_detailed(
            created.id, client=admin
        )
    )
    assert rotated.secret.startswith("whsec_") and rotated.secret != created.secret

    # A booking, then the Procfile's worker until nothing is waiting: it relays the event.
    patient = httpx.Client(
        base_url=live_server.base_url,
        headers={"Authorization": f"Token {live_server.accounts['patient'].token}"},
        timeout=10.0,
    )
    request.addfinalizer(patient.close)
    professional = live_server.accounts["professional"]
    day = (dt.date.today() + dt.timedelta(days=5)).isoformat()
    slots = patient.get(
        "/api/appointments/available-slots/",
        params={"psychologist": professional.id, "date": day},
    ).json()["slots"]
    booking = patient.post(
        "/api/appointments/appointments/",
        json={
            "psychologist": professional.id,
            "appointment_date": day,
            "start_time": slots[-1]["start_time"],
        },
    )
    assert booking.status_code == HTTPStatus.CREATED, booking.text
    worker = subprocess.run(
        [sys.executable, "manage.py", "db_worker", "--batch", "--no-reload", "--no-startup-delay"],
        cwd=SITE_DIR,
        env=live_server.env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert worker.returncode == 0, worker.stdout[-2000:] + worker.stderr[-2000:]

    deliveries = ok(
        operation(api, "webhooks", "webhooks_deliveries_list").sync_detailed(
            client=admin, endpoint=created.id
        )
    )
    [delivery] = [
        item
        for item in deliveries.results
        if item.payload["data"]["appointment_id"] == booking.json()["id"]
    ]
    detail = ok(
        operation(api, "webhooks", "webhooks_deliveries_retrieve").sync_detailed(
            delivery.id, client=admin
        )
    )
    assert detail.attempts == 1
    assert detail.status == "pending" and detail.next_attempt_at is not None
    assert detail.error

    refused = operation(api, "webhooks", "webhooks_deliveries_redeliver_create").sync_detailed(
        delivery.id,
        client=lenient,
    )
    assert refused.status_code == HTTPStatus.BAD_REQUEST, refused.content

    gone = operation(api, "webhooks", "webhooks_endpoints_destroy").sync_detailed(
        created.id, client=admin
    )
    assert gone.status_code == HTTPStatus.NO_CONTENT
    missing = operation(api, "webhooks", "webhooks_endpoints_retrieve").sync_detailed(
        created.id,
        client=lenient,
    )
    assert missing.status_code == HTTPStatus.NOT_FOUND
