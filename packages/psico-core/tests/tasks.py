"""Tasks of the tests of psico_core.tasks_compat and psico_core.testing.worker."""

from __future__ import annotations

from django.core.mail import send_mail
from psico_core.tasks_compat import task


@task
def again(*, word: str, attempt: int = 1) -> str:
    return f"{word} {attempt}"


@task
def send_note(*, to: str, subject: str) -> str:
    send_mail(subject, "Una nota.", None, [to])
    return "sent"
