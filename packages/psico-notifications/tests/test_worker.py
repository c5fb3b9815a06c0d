"""A real worker (``manage.py db_worker``) and a real SMTP server: the request only stores the
relay task; the worker relays the event, sends the emails, retries through an outage, and
two workers at once send each email exactly once.

On PostgreSQL the workers are separate processes, as in production; on SQLite the same
command runs in this process, after the change committed.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from psico_accounts.testing.factories import PatientFactory, ProfessionalFactory
from psico_core.tasks_compat import DATABASE_BACKEND, TaskResultStatus
from psico_notifications.conf import notifications_settings
from psico_notifications.models import DeliveryStatus, EmailDelivery
from psico_notifications.tasks import RETRY_SCHEDULED, SENT
from psico_scheduling import services
from psico_scheduling.models import AppointmentEvent
from psico_scheduling.testing.factories import weekly_schedule_for

from tests.worker_settings import smtp_email_settings

from .conftest import invitation_of

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("_database_tasks"),
]

PACKAGE_DIR = Path(__file__).resolve().parent.parent
# Run what is waiting (including what the tasks enqueue), then exit.
WORKER_ARGS = ["--batch", "--no-reload", "--no-startup-delay", "--interval", "0"]
RELAY = "psico_scheduling.tasks.relay_appointment_events"
SEND = "psico_notifications.tasks.send_appointment_email"


@pytest.fixture
def _database_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": DATABASE_BACKEND}}


def _require_postgresql() -> None:
    if connection.vendor != "postgresql":
        if os.environ.get("PSICO_REQUIRE_SERVICES") == "1":
            pytest.fail(f"PSICO_REQUIRE_SERVICES=1 but the database is {connection.vendor}.")
        pytest.skip("Worker processes need a database other processes can open (PostgreSQL).")


def _database_url() -> str:
    database = connection.settings_dict
    credentials = database["USER"] or "postgres"
    if database.get("PASSWORD"):
        credentials += f":{database['PASSWORD']}"
    host = database.get("HOST") or "127.0.0.1"
    port = database.get("PORT") or 5432
    return f"postgres://{credentials}@{host}:{port}/{database['NAME']}"


def _worker_process(smtp_port: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.worker_settings",
        "DATABASE_URL": _database_url(),
        "PSICO_TEST_SMTP_PORT": str(smtp_port),
        "PSICO_TEST_EMAIL_RETRY_DELAYS": ",".join(
            str(delay) for delay in notifications_settings.EMAIL_RETRY_DELAYS_SECONDS
        ),
        "PYTHONPATH": os.pathsep.join(
            filter(None, [str(PACKAGE_DIR), os.environ.get("PYTHONPATH")])
        ),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "django", "db_worker", *WORKER_ARGS],
        cwd=PACKAGE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _wait(worker: subprocess.Popen) -> None:
    output, _ = worker.communicate(timeout=120)
    assert worker.returncode == 0, output


def _run_worker_command(smtp_port: int) -> None:
    # The worker installs its own signal handlers (graceful shutdown); put ours back after.
    numbers = [
        signal.SIGINT,
        signal.SIGTERM,
        *([signal.SIGQUIT] if hasattr(signal, "SIGQUIT") else []),
    ]
    saved = {number: signal.getsignal(number) for number in numbers}
    try:
        with override_settings(**smtp_email_settings(smtp_port)):
            call_command("db_worker", *WORKER_ARGS, stdout=io.StringIO())
    finally:
        for number, handler in saved.items():
            signal.signal(number, handler)


@pytest.fixture
def run_worker(smtp_server):
    """Run one ``db_worker`` until no task is waiting; its emails reach ``smtp_server``."""

    def run() -> None:
        if connection.vendor == "postgresql":
            _wait(_worker_process(smtp_server.port))
        else:
            _run_worker_command(smtp_server.port)

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

    workers = [_worker_process(smtp_server.port) for _ in range(2)]
    for worker in workers:
        _wait(worker)

    assert EmailDelivery.objects.filter(status=DeliveryStatus.SENT, attempts=1).count() == expected
    received = sorted((m["To"], m["Subject"]) for m in smtp_server.messages)
    assert len(received) == expected
    assert len(set(received)) == expected
    assert not AppointmentEvent.objects.filter(dispatched_at__isnull=True).exists()
