"""Background tasks of accounts, run by the ``TASKS`` backend (a worker in production).

Arguments are plain JSON (an address, a language code), never a user: what a request enqueues
must not depend on whether an account exists.
"""

from __future__ import annotations

from .tasks_compat import task


@task
def send_password_reset_email(
    *, email: str, language: str | None = None, from_email: str | None = None
) -> bool:
    """Email a reset link to the active account with ``email``; nothing when there is none.

    Returns whether an email was sent, which only the task's result (in the database for
    the database backend) records, never the request that enqueued it.
    """
    from . import services  # services enqueues this task: import it only when it runs.

    return services.password_reset_email_send(email=email, language=language, from_email=from_email)
