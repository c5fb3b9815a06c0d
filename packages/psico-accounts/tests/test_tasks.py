"""The password reset email leaves the request: the database task backend and a real worker.

A reset request only stores a task (the same one whether or not the address has an account);
``manage.py db_worker`` runs it later and sends the email through a real SMTP server started
here. On PostgreSQL the worker is a separate process, as in production. The default test
database is an in-memory SQLite that no other process can open: there the same command runs
in this process, after the request has returned.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from django.core import mail
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from psico_accounts.tasks import NO_ACCOUNT, RETRY_SCHEDULED, SENT
from psico_accounts.testing.factories import PatientFactory
from psico_core.tasks_compat import TaskResultStatus
from psico_core.testing import worker

# Committed data only: the worker reads the tasks from its own connection.
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("database_tasks"),
]

PACKAGE_DIR = Path(__file__).resolve().parent.parent
RESET = "/api/auth/password-reset/"
RESET_CONFIRM = "/api/auth/password-reset/confirm/"
TASK_PATH = "psico_accounts.tasks.send_password_reset_email"


@pytest.fixture
def run_worker(smtp_server):
    """Run ``db_worker`` until no task is waiting; its emails reach ``smtp_server``."""

    def run() -> None:
        worker.run_worker(
            package_dir=PACKAGE_DIR, smtp_port=smtp_server.port, forward=["PSICO_ACCOUNTS"]
        )

    return run


def _codes_from(message) -> tuple[str, str]:
    body = message.get_body(("plain",)).get_content()
    uid = re.search(r"\(uid\): (\S+)", body).group(1)
    token = re.search(r"Token: (\S+)", body).group(1)
    return uid, token


def test_a_reset_request_stores_a_task_and_the_worker_sends_one_email(
    api_client_for, smtp_server, run_worker
):
    PatientFactory(email="olvido@psico.bo")
    client = api_client_for(None, language="en")
    response = client.post(RESET, {"email": "Olvido@psico.bo"}, format="json")

    assert response.status_code == 200
    assert mail.outbox == [] and smtp_server.messages == []
    task = DBTaskResult.objects.get()
    assert (task.task_path, task.status) == (TASK_PATH, TaskResultStatus.READY)
    assert task.args_kwargs == {
        "args": [],
        "kwargs": {"email": "Olvido@psico.bo", "language": "en", "from_email": None},
    }

    run_worker()

    task.refresh_from_db()
    assert task.status == TaskResultStatus.SUCCESSFUL
    assert task.return_value == SENT
    [message] = smtp_server.messages
    assert message["To"] == "olvido@psico.bo"
    assert message["Subject"] == "Reset your Psico password"
    uid, token = _codes_from(message)
    confirm = client.post(
        RESET_CONFIRM, {"uid": uid, "token": token, "new_password": "Nueva-2025!"}
    )
    assert confirm.status_code == 200, confirm.data
    assert mail.outbox == []


def test_an_unknown_email_gets_the_same_answer_and_task_and_nothing_is_sent(
    api_client_for, smtp_server, run_worker
):
    PatientFactory(email="existe@psico.bo")
    client = api_client_for(None)
    known = client.post(RESET, {"email": "existe@psico.bo"}, format="json")
    unknown = client.post(RESET, {"email": "nadie@psico.bo"}, format="json")

    assert (known.status_code, known.data) == (unknown.status_code, unknown.data)
    tasks = {task.args_kwargs["kwargs"]["email"]: task for task in DBTaskResult.objects.all()}
    assert set(tasks) == {"existe@psico.bo", "nadie@psico.bo"}
    for task in tasks.values():
        assert (task.task_path, task.status) == (TASK_PATH, TaskResultStatus.READY)
        assert task.args_kwargs["kwargs"]["language"] == "es"

    run_worker()

    for task in tasks.values():
        task.refresh_from_db()
        assert task.status == TaskResultStatus.SUCCESSFUL
    assert tasks["existe@psico.bo"].return_value == SENT
    assert tasks["nadie@psico.bo"].return_value == NO_ACCOUNT
    assert [message["To"] for message in smtp_server.messages] == ["existe@psico.bo"]
    assert "Restablece" in smtp_server.messages[0]["Subject"]


def test_emails_wait_in_the_database_until_a_worker_runs(api_client_for, smtp_server, run_worker):
    PatientFactory(email="paciente@psico.bo")
    client = api_client_for(None)
    for _ in range(2):
        assert client.post(RESET, {"email": "paciente@psico.bo"}, format="json").status_code == 200

    assert smtp_server.messages == []
    assert DBTaskResult.objects.filter(status=TaskResultStatus.READY).count() == 2

    run_worker()

    assert len(smtp_server.messages) == 2
    assert not DBTaskResult.objects.exclude(status=TaskResultStatus.SUCCESSFUL).exists()


def test_a_mail_server_outage_is_retried_and_the_email_delivered_later(
    api_client_for, smtp_server, run_worker, settings
):
    settings.PSICO_ACCOUNTS = {"EMAIL_RETRY_DELAYS_SECONDS": [2, 2]}
    PatientFactory(email="paciente@psico.bo")
    assert api_client_for(None).post(RESET, {"email": "paciente@psico.bo"}).status_code == 200
    smtp_server.stop()

    run_worker()  # the connection is refused: nothing is sent, a retry waits two seconds

    first, retry = DBTaskResult.objects.order_by("enqueued_at")
    assert (first.status, first.return_value) == (TaskResultStatus.SUCCESSFUL, RETRY_SCHEDULED)
    assert retry.status == TaskResultStatus.READY
    assert retry.args_kwargs["kwargs"]["attempt"] == 2
    assert retry.args_kwargs["kwargs"]["email"] == "paciente@psico.bo"
    assert retry.run_after is not None and retry.run_after > first.finished_at

    smtp_server.start()
    time.sleep(max(0.0, (retry.run_after - timezone.now()).total_seconds()) + 0.2)
    run_worker()

    retry.refresh_from_db()
    assert (retry.status, retry.return_value) == (TaskResultStatus.SUCCESSFUL, SENT)
    assert [message["To"] for message in smtp_server.messages] == ["paciente@psico.bo"]


def test_when_the_retries_are_spent_the_task_fails_with_its_traceback(
    api_client_for, smtp_server, run_worker, settings
):
    settings.PSICO_ACCOUNTS = {"EMAIL_RETRY_DELAYS_SECONDS": [0]}
    PatientFactory(email="paciente@psico.bo")
    assert api_client_for(None).post(RESET, {"email": "paciente@psico.bo"}).status_code == 200
    smtp_server.stop()

    run_worker()

    first, last = DBTaskResult.objects.order_by("enqueued_at")
    assert first.return_value == RETRY_SCHEDULED
    assert last.status == TaskResultStatus.FAILED
    assert last.args_kwargs["kwargs"]["attempt"] == 2
    assert "ConnectionRefusedError" in last.traceback


def test_sign_up_stores_a_verification_task_and_the_worker_sends_it(
    api_client_for, smtp_server, run_worker
):
    from psico_accounts.models import User

    client = api_client_for(None, language="en")
    response = client.post(
        "/api/auth/register/",
        {
            "email": "nueva@psico.bo",
            "password": "Clave-segura-2025",
            "first_name": "Rosa",
            "last_name": "Choque",
            "ci": "7654321",
        },
        format="json",
    )

    assert response.status_code == 201, response.data
    assert smtp_server.messages == []
    user = User.objects.get(email="nueva@psico.bo")
    task = DBTaskResult.objects.get()
    assert task.task_path == "psico_accounts.tasks.send_verification_email"
    assert task.args_kwargs["kwargs"] == {"user_id": user.pk, "language": "en"}

    run_worker()

    task.refresh_from_db()
    assert (task.status, task.return_value) == (TaskResultStatus.SUCCESSFUL, SENT)
    [message] = smtp_server.messages
    assert message["To"] == "nueva@psico.bo"
    assert message["Subject"] == "Confirm your email address for Psico"
    uid, token = _codes_from(message)
    verified = client.post("/api/auth/verify-email/", {"uid": uid, "token": token}, format="json")
    assert verified.status_code == 200, verified.data
    user.refresh_from_db()
    assert user.email_verified is True
