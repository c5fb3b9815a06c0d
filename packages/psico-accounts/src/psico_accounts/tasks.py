"""Background tasks of accounts, run by the ``TASKS`` backend (a worker in production).

Arguments are plain JSON (an address, a language code), never a user: what a request enqueues
must not depend on whether an account exists.
"""

from __future__ import annotations

import logging
import smtplib
from typing import Any

from psico_core.tasks_compat import retry_later, task

from .conf import accounts_settings

logger = logging.getLogger(__name__)

# What the task returns (and the database backend records as its result).
SENT = "sent"
NO_ACCOUNT = "no_account"
RETRY_SCHEDULED = "retry_scheduled"


@task
def send_password_reset_email(
    *, email: str, language: str | None = None, from_email: str | None = None, attempt: int = 1
) -> str:
    """Email a reset link to the active account with ``email``; nothing when there is none.

    A mail server that cannot be reached or refuses the message does not lose the email: the
    task enqueues itself again, later (backing off as ``EMAIL_RETRY_DELAYS_SECONDS`` says), and
    raises only when every retry is spent, so the last failure is recorded with its traceback.
    Returns :data:`SENT`, :data:`NO_ACCOUNT` or :data:`RETRY_SCHEDULED`, which only the task's
    result records, never the request that enqueued it.
    """
    from . import services  # services enqueues this task: import it only when it runs.

    arguments: dict[str, Any] = {"email": email, "language": language, "from_email": from_email}
    try:
        sent = services.password_reset_email_send(**arguments)
    except (smtplib.SMTPException, OSError):
        delays = accounts_settings.EMAIL_RETRY_DELAYS_SECONDS
        if not retry_later(send_password_reset_email, attempt=attempt, delays=delays, **arguments):
            raise
        logger.warning(
            "The password reset email could not be sent (attempt %s); it will be retried.",
            attempt,
            exc_info=True,
        )
        return RETRY_SCHEDULED
    return SENT if sent else NO_ACCOUNT


@task
def send_verification_email(*, user_id: int, language: str | None = None, attempt: int = 1) -> str:
    """Email a verification link to the account ``user_id``; nothing when it has none to verify
    (deleted, inactive or already verified). Retried like :func:`send_password_reset_email`."""
    from . import services

    arguments: dict[str, Any] = {"user_id": user_id, "language": language}
    try:
        sent = services.email_verification_send(**arguments)
    except (smtplib.SMTPException, OSError):
        delays = accounts_settings.EMAIL_RETRY_DELAYS_SECONDS
        if not retry_later(send_verification_email, attempt=attempt, delays=delays, **arguments):
            raise
        logger.warning(
            "The verification email could not be sent (attempt %s); it will be retried.",
            attempt,
            exc_info=True,
        )
        return RETRY_SCHEDULED
    return SENT if sent else NO_ACCOUNT


@task
def build_personal_data_export(
    *, export_id: int, download_url: str, language: str | None = None, attempt: int = 1
) -> str:
    """Gather a user's data into their export and email them the download link; the email is
    retried like the others (the data is gathered once)."""
    from . import services

    arguments: dict[str, Any] = {
        "export_id": export_id,
        "download_url": download_url,
        "language": language,
    }
    try:
        built = services.personal_data_export_build(**arguments)
    except (smtplib.SMTPException, OSError):
        from .models import PersonalDataExport

        # Built, but the email failed: build it again on the retry, with a new link.
        PersonalDataExport.objects.filter(pk=export_id).update(ready_at=None, data=None)
        delays = accounts_settings.EMAIL_RETRY_DELAYS_SECONDS
        if not retry_later(build_personal_data_export, attempt=attempt, delays=delays, **arguments):
            raise
        logger.warning(
            "The data export email could not be sent (attempt %s); it will be retried.",
            attempt,
            exc_info=True,
        )
        return RETRY_SCHEDULED
    return SENT if built else NO_ACCOUNT
