"""The front desk and a session's details through the generated client: a clinic administrator
books for a patient who phoned, the professional sees the patient's contact on it (the
patient does not), marks it paid, and reads the month's summary."""

from __future__ import annotations

import datetime as dt
import importlib
from http import HTTPStatus

import pytest

# The generated client is the `api` fixture of conftest.py.
from test_generated_client import model, ok, operation

pytestmark = pytest.mark.client


def signed_in(api, live_server, request, account: str):
    client = api.AuthenticatedClient(
        base_url=live_server.base_url,
        token=live_server.accounts[account].token,
        prefix="Token",
        raise_on_unexpected_status=True,
    )
    request.addfinalizer(client.get_httpx_client().close)
    return client


def test_the_front_desk_books_for_a_patient(api, live_server, request):
    admin = signed_in(api, live_server, request, "admin")
    professional = signed_in(api, live_server, request, "professional")
    patient = signed_in(api, live_server, request, "patient")
    patient_account = live_server.accounts["patient"]
    professional_id = live_server.accounts["professional"].id
    day = dt.date.today() + dt.timedelta(days=6)
    slots = ok(
        operation(api, "appointments", "scheduling_available_slots").sync_detailed(
            client=admin, psychologist=professional_id, date=day
        )
    )
    booked = ok(
        operation(api, "appointments", "scheduling_appointments_create").sync_detailed(
            client=admin,
            body=model(api, "AppointmentCreateRequest")(
                psychologist=professional_id,
                appointment_date=day,
                start_time=slots.slots[0].start_time,
                patient=patient_account.id,
            ),
        ),
        HTTPStatus.CREATED,
    )
    assert booked.patient.id == patient_account.id
    assert booked.status.value == "pending"

    retrieve = operation(api, "appointments", "scheduling_appointments_retrieve")
    theirs = ok(retrieve.sync_detailed(booked.id, client=professional))
    assert theirs.patient_contact.email == patient_account.email
    own = ok(retrieve.sync_detailed(booked.id, client=patient))
    assert own.patient_contact is importlib.import_module(f"{api.__name__}.types").UNSET

    paid = ok(
        operation(api, "appointments", "scheduling_appointments_partial_update").sync_detailed(
            booked.id,
            client=professional,
            body=model(api, "PatchedAppointmentUpdateRequest")(
                payment_status=model(api, "PaymentStatusEnum")("paid")
            ),
        )
    )
    assert paid.payment_status.value == "paid"

    summary = ok(
        operation(api, "appointments", "scheduling_appointments_summary").sync_detailed(
            client=professional, month=day.strftime("%Y-%m")
        )
    )
    assert summary.month == day.strftime("%Y-%m")
    assert summary.sessions.total >= 1 and summary.sessions.pending >= 1
    lenient = api.AuthenticatedClient(
        base_url=live_server.base_url, token=patient_account.token, prefix="Token"
    )
    request.addfinalizer(lenient.get_httpx_client().close)
    refused = operation(api, "appointments", "scheduling_appointments_summary").sync_detailed(
        client=lenient, month=day.strftime("%Y-%m")
    )
    assert refused.status_code == HTTPStatus.FORBIDDEN
