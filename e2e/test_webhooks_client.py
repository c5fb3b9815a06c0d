"""Webhooks through the generated client: a clinic administrator adds an endpoint (the secret
comes once, in the answer), finds it listed without its secret, and reads the delivery log."""

from __future__ import annotations

import uuid
from http import HTTPStatus

import pytest

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
