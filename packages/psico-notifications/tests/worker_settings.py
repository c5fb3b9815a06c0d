"""Settings of the worker processes that test_worker.py starts: the tests' own, with tasks in
the database and email by SMTP to the server the test runs on ``PSICO_TEST_SMTP_PORT``."""

from __future__ import annotations

import os
from typing import Any

import django
from psico_core.tasks_compat import DATABASE_BACKEND

from tests.settings import *  # noqa: F403

TASKS = {"default": {"BACKEND": DATABASE_BACKEND}}

SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


def smtp_email_settings(port: int) -> dict[str, Any]:
    """Settings that send every email to the SMTP server on 127.0.0.1:``port``."""
    if django.VERSION >= (6, 1):
        options = {"host": "127.0.0.1", "port": port, "timeout": 10}
        return {"MAILERS": {"default": {"BACKEND": SMTP_BACKEND, "OPTIONS": options}}}
    return {
        "EMAIL_BACKEND": SMTP_BACKEND,
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": port,
        "EMAIL_TIMEOUT": 10,
    }


if "PSICO_TEST_SMTP_PORT" in os.environ:
    globals().update(smtp_email_settings(int(os.environ["PSICO_TEST_SMTP_PORT"])))

if "PSICO_TEST_EMAIL_RETRY_DELAYS" in os.environ:
    _delays = os.environ["PSICO_TEST_EMAIL_RETRY_DELAYS"].split(",")
    PSICO_NOTIFICATIONS = {
        "EMAIL_RETRY_DELAYS_SECONDS": [float(delay) for delay in _delays if delay]
    }
