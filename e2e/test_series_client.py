"""Recurring series through the generated client: a patient books a weekly series, the
professional reads it, another patient gets 404, the front desk's all-or-nothing series over
the same times is refused with its conflicts and books nothing, and the patient cancels the
series from its second date."""

from __future__ import annotations

import datetime as dt
from http import HTTPStatus

import pytest

# The generated client is the `api` fixture of conftest.py.
from test_front_desk_client import signed_in
from test_generated_client import model, ok, operation

pytestmark = pytest.mark.client

COUNT = 4


def test_a_weekly_series_is_booked_read_and_cancelled_from_a_date(api, live_server, request):
    patient = signed_in(api, live_server, request, "patient")
    professional = signed_in(api, live_server, request, "professional")
    professional_id = live_server.accounts["professional"].id
    start_date = dt.date.today() + dt.timedelta(days=20)
    slots = ok(
        operation(api, "appointments", "scheduling_available_slots").sync_detailed(
            client=patient, psychologist=professional_id, date=start_date
        )
    )
    start_time = slots.slots[-1].start_time

    created = ok(
        operation(api, "appointments", "scheduling_series_create").sync_detailed(
            client=patient,
            body=model(api, "AppointmentSeriesCreateRequest")(
                psychologist=professional_id,
                start_date=start_date,
                start_time=start_time,
                frequency=model(api, "SeriesFrequencyEnum")("weekly"),
                count=COUNT,
                reason="Terapia semanal",
            ),
        ),
        HTTPStatus.CREATED,
    )
    booked = [appointment.appointment_date for appointment in created.appointments]
    skipped = [item.date for item in created.skipped]
    assert booked[0] == start_date
    assert sorted(booked + skipped + list(created.pending_dates)) == [
        start_date + dt.timedelta(weeks=week) for week in range(COUNT)
    ]
    assert {appointment.series for appointment in created.appointments} == {created.id}

    retrieve = operation(api, "appointments", "scheduling_series_retrieve")
    theirs = ok(retrieve.sync_detailed(created.id, client=professional))
    assert theirs.patient.id == live_server.accounts["patient"].id
    listed = ok(
        operation(api, "appointments", "scheduling_series_list").sync_detailed(client=patient)
    )
    assert created.id in [series.id for series in listed.results]
    stranger = api.AuthenticatedClient(
        base_url=live_server.base_url, token=live_server.accounts["patient2"].token, prefix="Token"
    )
    request.addfinalizer(stranger.get_httpx_client().close)
    assert retrieve.sync_detailed(created.id, client=stranger).status_code == HTTPStatus.NOT_FOUND

    # The front desk asks for the same times for another patient, all or nothing: refused.
    lenient_admin = api.AuthenticatedClient(
        base_url=live_server.base_url, token=live_server.accounts["admin"].token, prefix="Token"
    )
    request.addfinalizer(lenient_admin.get_httpx_client().close)
    refused = operation(api, "appointments", "scheduling_series_create").sync_detailed(
        client=lenient_admin,
        body=model(api, "AppointmentSeriesCreateRequest")(
            psychologist=professional_id,
            start_date=start_date,
            start_time=start_time,
            frequency=model(api, "SeriesFrequencyEnum")("weekly"),
            count=COUNT,
            all_or_nothing=True,
            patient=live_server.accounts["patient2"].id,
        ),
    )
    assert refused.status_code == HTTPStatus.BAD_REQUEST
    assert start_date.isoformat() in refused.parsed.additional_properties["conflicts"]

    second = start_date + dt.timedelta(weeks=1)
    cancelled = ok(
        operation(api, "appointments", "scheduling_series_cancel").sync_detailed(
            created.id,
            client=patient,
            body=model(api, "AppointmentSeriesCancelRequest")(
                from_date=second, reason="Cambio de trabajo"
            ),
        )
    )
    statuses = {
        appointment.appointment_date: appointment.status.value
        for appointment in cancelled.appointments
    }
    assert statuses[start_date] == "pending"
    assert {status for day, status in statuses.items() if day >= second} <= {"cancelled"}
    assert cancelled.cancelled_from == second
    assert cancelled.pending_dates == []
