"""The waiting list through the generated client: a patient queues for a professional's day;
another patient's cancellation, relayed by a real ``manage.py db_worker``, holds the freed
time for them; a third patient is refused it with its own message; the holder books it and the
entry ends. Withdrawing an entry makes it gone; a professional may not queue."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from http import HTTPStatus

import pytest
from conftest import SITE_DIR

# The generated client is the `api` fixture of conftest.py.
from test_front_desk_client import signed_in
from test_generated_client import model, ok, operation

pytestmark = pytest.mark.client

# The site speaks Spanish unless the client asks otherwise.
HELD = "Este horario está reservado para un paciente de la lista de espera; elija otro horario."


def run_worker(live_server) -> None:
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


def test_a_freed_time_is_held_for_the_waiting_patient(api, live_server, request):
    leaving = signed_in(api, live_server, request, "patient")
    waiting = signed_in(api, live_server, request, "patient2")
    professional = signed_in(api, live_server, request, "professional2")
    professional_id = live_server.accounts["professional2"].id
    day = dt.date.today() + dt.timedelta(days=8)
    slots = operation(api, "appointments", "scheduling_available_slots")
    book = operation(api, "appointments", "scheduling_appointments_create")
    free = ok(slots.sync_detailed(client=leaving, psychologist=professional_id, date=day))
    start_time = free.slots[1].start_time
    booking = model(api, "AppointmentCreateRequest")(
        psychologist=professional_id, appointment_date=day, start_time=start_time
    )
    booked = ok(book.sync_detailed(client=leaving, body=booking), HTTPStatus.CREATED)

    entry = ok(
        operation(api, "appointments", "scheduling_waitlist_create").sync_detailed(
            client=waiting,
            body=model(api, "WaitlistEntryCreateRequest")(
                psychologist=professional_id,
                date_from=day,
                date_to=day,
                times=[model(api, "WaitlistTimeRangeRequest")(start="08:00", end="20:00")],
            ),
        ),
        HTTPStatus.CREATED,
    )
    assert entry.status.value == "active" and entry.offer is None
    assert [(time.start, time.end) for time in entry.times] == [("08:00", "20:00")]

    ok(
        operation(api, "appointments", "scheduling_appointments_cancel").sync_detailed(
            booked.id,
            client=leaving,
            body=model(api, "AppointmentCancelRequest")(reason="Viaje"),
        )
    )
    run_worker(live_server)

    retrieve = operation(api, "appointments", "scheduling_waitlist_retrieve")
    held = ok(retrieve.sync_detailed(entry.id, client=waiting))
    assert held.offer is not None, "the worker did not hold the freed time"
    assert (held.offer.appointment_date, held.offer.start_time) == (day, start_time)
    assert held.offer.expires_at > dt.datetime.now(dt.UTC)

    # Hidden from everyone else's slots, shown to the holder; refused to another patient.
    def starts(client):
        found = ok(slots.sync_detailed(client=client, psychologist=professional_id, date=day))
        return {slot.start_time for slot in found.slots}

    assert start_time not in starts(leaving)
    assert start_time in starts(waiting)
    refused = book.sync_detailed(client=leaving, body=booking)
    assert refused.status_code == HTTPStatus.BAD_REQUEST
    assert refused.parsed.additional_properties["non_field_errors"] == [HELD]

    mine = ok(book.sync_detailed(client=waiting, body=booking), HTTPStatus.CREATED)
    assert mine.start_time == start_time
    ended = ok(retrieve.sync_detailed(entry.id, client=waiting))
    assert ended.status.value == "booked" and ended.offer is None

    listed = ok(
        operation(api, "appointments", "scheduling_waitlist_list").sync_detailed(client=waiting)
    )
    assert entry.id in [item.id for item in listed.results]
    # Someone else's entry is not found; a professional may not queue.
    assert retrieve.sync_detailed(entry.id, client=leaving).status_code == HTTPStatus.NOT_FOUND
    refused_role = operation(api, "appointments", "scheduling_waitlist_list").sync_detailed(
        client=professional
    )
    assert refused_role.status_code == HTTPStatus.FORBIDDEN


def test_a_patient_withdraws_from_the_waiting_list(api, live_server, request):
    patient = signed_in(api, live_server, request, "patient")
    professional_id = live_server.accounts["professional"].id
    day = dt.date.today() + dt.timedelta(days=12)
    entry = ok(
        operation(api, "appointments", "scheduling_waitlist_create").sync_detailed(
            client=patient,
            body=model(api, "WaitlistEntryCreateRequest")(
                psychologist=professional_id, date_from=day, date_to=day + dt.timedelta(days=2)
            ),
        ),
        HTTPStatus.CREATED,
    )
    assert entry.times == []
    destroy = operation(api, "appointments", "scheduling_waitlist_destroy")
    assert destroy.sync_detailed(entry.id, client=patient).status_code == HTTPStatus.NO_CONTENT
    retrieve = operation(api, "appointments", "scheduling_waitlist_retrieve")
    assert retrieve.sync_detailed(entry.id, client=patient).status_code == HTTPStatus.NOT_FOUND
