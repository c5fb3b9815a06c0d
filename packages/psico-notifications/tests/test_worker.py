"""A real worker (``manage.py db_worker``) and a real SMTP server: the request only stores the
relay task; the worker relays the event, sends the emails, retries through an outage, and
two workers at once send each email exactly once.

On PostgreSQL the workers are separate processes, as in production; on SQLite the same
command runs in this process, after the change committed.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from psico_accounts.testing.factories import PatientFactory, ProfessionalFactory
from psico_core.tasks_compat import TaskResultStatus
from psico_core.testing import worker
from psico_notifications.models import DeliveryStatus, EmailDelivery
from psico_notifications.tasks import RETRY_SCHEDULED, SENT
from psico_scheduling import services
from psico_scheduling.models import AppointmentEvent
from psico_scheduling.testing.factories import weekly_schedule_for

from .conftest import invitation_of

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("database_tasks"),
]

PACKAGE_DIR = Path(__file__).resolve().parent.parent
RELAY = "psico_scheduling.tasks.relay_appointment_events"
SEND = "psico_notifications.tasks.send_appointment_email"
# The test's retry delays (a settings override does not reach another process).
FORWARD = ["PSICO_NOTIFICATIONS"]


def _require_postgresql() -> None:
    if connection.vendor != "postgresql":
        if os.environ.get("PSICO_REQUIRE_SERVICES") == "1":
            pytest.fail(f"PSICO_REQUIRE_SERVICES=1 but the database is {connection.vendor}.")
        pytest.skip("Worker processes need a database other processes can open (PostgreSQL).")


@pytest.fixture
def run_worker(smtp_server):
    """Run one ``db_worker`` until no task is waiting; its emails reach ``smtp_server``."""

    def run() -> None:
        worker.run_worker(package_dir=PACKAGE_DIR, smtp_port=smtp_server.port, forward=FORWARD)

    return run


@pytest.fixture
def people():
    professional = ProfessionalFactory(email="lucia@psico.bo", language="en")
    weekly_schedule_for(professional)
    return PatientFactory(email="ana@psico.bo", language="es"), professional


def _next_monday() -> dt.date:
    today = timezone.localdate()
    return today + dt.timedelta(days=7 - today.weekday())


def test_the_worker_relays_each_change_and_sends_its_email(people, smtp_server, run_worker):
    patient, professional = people
    appointment = services.appointment_book(
        patient=patient, psychologist=professional, date=_next_monday(), start_time=dt.time(9)
    )

    # The request is over: one relay task waits, and nothing has been sent.
    assert list(DBTaskResult.objects.values_list("task_path", "status")) == [
        (RELAY, TaskResultStatus.READY)
    ]
    assert smtp_server.messages == []
    assert AppointmentEvent.objects.get().dispatched_at is None

    run_worker()

    [booking] = smtp_server.messages
    assert booking["To"] == "lucia@psico.bo"
    assert AppointmentEvent.objects.get().dispatched_at is not None
    send = DBTaskResult.objects.get(task_path=SEND)
    assert (send.status, send.return_value) == (TaskResultStatus.SUCCESSFUL, SENT)

    services.appointment_confirm(appointment=appointment, by=professional)
    run_worker()

    confirmation = smtp_server.messages[1]
    assert confirmation["To"] == "ana@psico.bo"
    invitation = invitation_of(confirmation)
    assert str(invitation["METHOD"]) == "REQUEST"
    [event] = invitation.walk("VEVENT")
    assert int(event["SEQUENCE"]) == 1


def test_a_mail_server_outage_is_retried_and_the_email_delivered_later(
    people, smtp_server, run_worker, settings
):
    settings.PSICO_NOTIFICATIONS = {"EMAIL_RETRY_DELAYS_SECONDS": [2, 2]}
    patient, professional = people
    services.appointment_book(
        patient=patient, psychologist=professional, date=_next_monday(), start_time=dt.time(9)
    )
    smtp_server.stop()

    run_worker()  # refused: nothing sent, a retry waits two seconds

    first, retry = DBTaskResult.objects.filter(task_path=SEND).order_by("enqueued_at")
    assert (first.status, first.return_value) == (TaskResultStatus.SUCCESSFUL, RETRY_SCHEDULED)
    assert retry.status == TaskResultStatus.READY
    assert retry.args_kwargs["kwargs"]["attempt"] == 2
    delivery = EmailDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, 1)
    assert "Connection" in delivery.last_error

    smtp_server.start()
    time.sleep(max(0.0, (retry.run_after - timezone.now()).total_seconds()) + 0.2)
    run_worker()

    retry.refresh_from_db()
    assert (retry.status, retry.return_value) == (TaskResultStatus.SUCCESSFUL, SENT)
    assert [message["To"] for message in smtp_server.messages] == ["lucia@psico.bo"]
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == (DeliveryStatus.SENT, 2, "")


def test_two_workers_at_once_send_each_email_exactly_once(smtp_server):
    _require_postgresql()
    professionals = ProfessionalFactory.create_batch(3)
    patients = PatientFactory.create_batch(4)
    for professional in professionals:
        weekly_schedule_for(professional)
    monday = _next_monday()
    for hour, patient in enumerate(patients):
        for professional in professionals:
            appointment = services.appointment_book(
                patient=patient,
                psychologist=professional,
                date=monday + dt.timedelta(days=professionals.index(professional)),
                start_time=dt.time(8 + hour),
            )
            services.appointment_confirm(appointment=appointment, by=professional)
    expected = 2 * len(patients) * len(professionals)  # a booking and a confirmation each

    processes = [
        worker.start_worker(package_dir=PACKAGE_DIR, smtp_port=smtp_server.port, forward=FORWARD)
        for _ in range(2)
    ]
    for process in processes:
        worker.wait_for_worker(process)

    assert EmailDelivery.objects.filter(status=DeliveryStatus.SENT, attempts=1).count() == expected
    received = sorted((m["To"], m["Subject"]) for m in smtp_server.messages)
    assert len(received) == expected
    assert len(set(received)) == expected
    assert not AppointmentEvent.objects.filter(dispatched_at__isnull=True).exists()
