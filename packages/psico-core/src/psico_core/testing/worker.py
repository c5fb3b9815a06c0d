"""Running ``manage.py db_worker`` (django-tasks-db) in tests, with its emails sent to an
:class:`~psico_core.testing.mail.SMTPServer`.

On PostgreSQL the worker is another process, as in production: :func:`start_worker` starts it
with a settings module of the package's tests, which builds its settings with
:func:`worker_settings`::

    # tests/worker_settings.py
    from psico_core.testing.worker import worker_settings

    from tests.settings import *  # noqa: F403

    globals().update(worker_settings())

The in-memory SQLite test database is one no other process can open: there
:func:`run_worker_here` runs the same command in this process. :func:`run_worker` picks.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from psico_core.tasks_compat import DATABASE_BACKEND

from .mail import smtp_email_settings

__all__ = [
    "WORKER_ARGS",
    "database_url",
    "run_worker",
    "run_worker_here",
    "start_worker",
    "wait_for_worker",
    "worker_settings",
]

# Run what is waiting (including what the tasks enqueue), then exit; no reloader, no random
# start-up delay.
WORKER_ARGS = ["--batch", "--no-reload", "--no-startup-delay", "--interval", "0"]
# How the test tells the worker process where to send email and which settings it overrode.
SMTP_PORT_VARIABLE = "PSICO_TEST_SMTP_PORT"
SETTINGS_VARIABLE = "PSICO_TEST_SETTINGS"


def database_url(alias: str = "default") -> str:
    """The URL of the PostgreSQL database ``alias`` this process uses (the test database)."""
    from django.db import connections

    database = connections[alias].settings_dict
    credentials = database["USER"] or "postgres"
    if database.get("PASSWORD"):
        credentials += f":{database['PASSWORD']}"
    host = database.get("HOST") or "127.0.0.1"
    port = database.get("PORT") or 5432
    return f"postgres://{credentials}@{host}:{port}/{database['NAME']}"


def worker_settings() -> dict[str, Any]:
    """The settings a worker process adds to the tests' own: tasks in the database, email by
    SMTP to the port :func:`start_worker` passed, and the settings it forwarded."""
    settings: dict[str, Any] = {"TASKS": {"default": {"BACKEND": DATABASE_BACKEND}}}
    if SMTP_PORT_VARIABLE in os.environ:
        settings.update(smtp_email_settings(int(os.environ[SMTP_PORT_VARIABLE])))
    settings.update(json.loads(os.environ.get(SETTINGS_VARIABLE, "{}")))
    return settings


def start_worker(
    *,
    package_dir: Path,
    smtp_port: int,
    forward: Iterable[str] = (),
    settings_module: str = "tests.worker_settings",
) -> subprocess.Popen[str]:
    """Start ``db_worker`` in a process of its own, in ``package_dir`` with ``settings_module``
    (importable from there), on this process's database, emailing 127.0.0.1:``smtp_port``.

    ``forward`` names settings whose current value (JSON) the worker gets too: a settings
    override of the test does not reach another process. :func:`wait_for_worker` waits for it.
    """
    from django.conf import settings

    forwarded = {name: getattr(settings, name) for name in forward if hasattr(settings, name)}
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": settings_module,
        "DATABASE_URL": database_url(),
        SMTP_PORT_VARIABLE: str(smtp_port),
        SETTINGS_VARIABLE: json.dumps(forwarded),
        "PYTHONPATH": os.pathsep.join(
            filter(None, [str(package_dir), os.environ.get("PYTHONPATH")])
        ),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "django", "db_worker", *WORKER_ARGS],
        cwd=package_dir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_for_worker(worker: subprocess.Popen[str], timeout: float = 120) -> None:
    """Wait until ``worker`` exits; fail with its output unless it exited with 0."""
    output, _ = worker.communicate(timeout=timeout)
    assert worker.returncode == 0, output


def run_worker_here(*, smtp_port: int) -> None:
    """Run ``db_worker`` in this process until no task is waiting, emailing
    127.0.0.1:``smtp_port``; the signal handlers it installs are put back after."""
    from django.core.management import call_command
    from django.test import override_settings

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


def run_worker(*, package_dir: Path, smtp_port: int, forward: Iterable[str] = ()) -> None:
    """Run ``db_worker`` until no task is waiting: a process of its own on PostgreSQL
    (:func:`start_worker`), this process on other databases (:func:`run_worker_here`)."""
    from django.db import connection

    if connection.vendor == "postgresql":
        wait_for_worker(start_worker(package_dir=package_dir, smtp_port=smtp_port, forward=forward))
    else:
        run_worker_here(smtp_port=smtp_port)
