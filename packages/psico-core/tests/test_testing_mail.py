"""psico_core.testing.mail and .worker: a real SMTP server receives what Django's SMTP backend
sends, refuses connections while stopped, and gets what a real db_worker sends."""

from __future__ import annotations

import json
import smtplib
from pathlib import Path

import pytest
from django.core.mail import send_mail
from django.db import connection
from django.test import override_settings
from django_tasks_db.models import DBTaskResult
from psico_core.tasks_compat import DATABASE_BACKEND, TaskResultStatus
from psico_core.testing.mail import SMTPServer, smtp_email_settings
from psico_core.testing.worker import (
    SETTINGS_VARIABLE,
    SMTP_PORT_VARIABLE,
    database_url,
    run_worker,
    worker_settings,
)

from tests.sockets import refused
from tests.tasks import send_note

PACKAGE_DIR = Path(__file__).resolve().parent.parent


def _send(port: int, subject: str, to: str = "ana@psico.bo") -> None:
    with override_settings(**smtp_email_settings(port)):
        send_mail(subject, "Hola, Ana.", "Psico <no-reply@psico.bo>", [to])


def test_the_server_receives_what_the_smtp_backend_sends_and_stops_and_starts_again():
    server = SMTPServer()
    server.start()
    try:
        _send(server.port, "Primera")
        port = server.port

        server.stop()
        assert refused(port)
        with pytest.raises((smtplib.SMTPException, OSError)):
            _send(port, "Perdida")
        server.stop()  # stopping a stopped server is harmless

        server.start()
        assert server.port == port
        _send(port, "Segunda", to="luis@psico.bo")
    finally:
        server.stop()

    assert [message["Subject"] for message in server.messages] == ["Primera", "Segunda"]
    [first] = server.to("ana@psico.bo")
    assert first["From"] == "Psico <no-reply@psico.bo>"
    assert first.get_content().strip() == "Hola, Ana."


def test_the_fixture_sends_this_processes_email_to_its_server(smtp_server):
    send_mail("Por SMTP", "Hola.", None, ["ana@psico.bo"])

    assert [message["Subject"] for message in smtp_server.to("ana@psico.bo")] == ["Por SMTP"]


def test_worker_settings_read_what_the_test_passed(monkeypatch):
    monkeypatch.setenv(SMTP_PORT_VARIABLE, "2525")
    monkeypatch.setenv(SETTINGS_VARIABLE, json.dumps({"PSICO_X": {"DELAYS": [2, 2]}}))

    assert worker_settings() == {
        "TASKS": {"default": {"BACKEND": DATABASE_BACKEND}},
        **smtp_email_settings(2525),
        "PSICO_X": {"DELAYS": [2, 2]},
    }

    monkeypatch.delenv(SMTP_PORT_VARIABLE)
    monkeypatch.delenv(SETTINGS_VARIABLE)
    assert worker_settings() == {"TASKS": {"default": {"BACKEND": DATABASE_BACKEND}}}


def test_the_database_url_names_this_processes_database(monkeypatch):
    database = connection.settings_dict
    for key, value in {"USER": "ana", "PASSWORD": "s3", "HOST": "db", "PORT": "6543"}.items():
        monkeypatch.setitem(database, key, value)
    monkeypatch.setitem(database, "NAME", "t_psico")
    assert database_url() == "postgres://ana:s3@db:6543/t_psico"

    for key in ("USER", "PASSWORD", "HOST", "PORT"):
        monkeypatch.setitem(database, key, "")
    assert database_url() == "postgres://postgres@127.0.0.1:5432/t_psico"


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("database_tasks")
def test_a_worker_runs_the_waiting_tasks_and_its_email_reaches_the_server(smtp_server):
    for to in ("ana@psico.bo", "luis@psico.bo"):
        send_note.enqueue(to=to, subject="Nota")
    assert smtp_server.messages == []
    assert DBTaskResult.objects.filter(status=TaskResultStatus.READY).count() == 2

    run_worker(package_dir=PACKAGE_DIR, smtp_port=smtp_server.port)

    assert sorted(message["To"] for message in smtp_server.messages) == [
        "ana@psico.bo",
        "luis@psico.bo",
    ]
    assert set(DBTaskResult.objects.values_list("status", "return_value")) == {
        (TaskResultStatus.SUCCESSFUL, "sent")
    }
