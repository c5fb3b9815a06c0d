"""The email tasks, run by the ``TASKS`` backend (a ``db_worker`` process in production).

Arguments are plain JSON ids; the task reads the event (or the appointment), the recipient and
their preferences when it runs, never in the request that changed the appointment.
"""

from __future__ import annotations

import logging
import smtplib
from typing import Any

from django.db import transaction
from psico_core.tasks_compat import retry_later, task

from .conf import notifications_settings

logger = logging.getLogger(__name__)

# What the task returns (and the database backend records as its result).
SENT = "sent"
ALREADY_SENT = "already_sent"
NOT_WANTED = "not_wanted"
IN_PROGRESS = "in_progress"
RETRY_SCHEDULED = "retry_scheduled"
NO_LONGER_DUE = "no_longer_due"


@task
def send_appointment_email(*, event_id: int, recipient_id: int, kind: str, attempt: int = 1) -> str:
    """Send the email ``kind`` about the appointment event ``event_id`` to ``recipient_id``,
    at most once.

    The :class:`~psico_notifications.models.EmailDelivery` row of (event, recipient, kind) is
    locked while the email goes out and marked sent in the same transaction: a second worker
    skips a locked row (:data:`IN_PROGRESS`) and a later run finds it sent
    (:data:`ALREADY_SENT`). A recipient who turned booking emails off gets nothing
    (:data:`NOT_WANTED`). A mail server that cannot be reached or refuses the message loses
    nothing: the task enqueues itself again later (``EMAIL_RETRY_DELAYS_SECONDS``) and raises
    only when every retry is spent, leaving the delivery ``failed`` with the error.
    """
    from . import services  # services imports the models: only when the task runs.

    arguments: dict[str, Any] = {"event_id": event_id, "recipient_id": recipient_id, "kind": kind}
    delivery = services.email_delivery_get_or_create(**arguments)
    try:
        with transaction.atomic():
            outcome = services.email_delivery_send(delivery_id=delivery.pk)
    except (smtplib.SMTPException, OSError) as error:
        services.email_delivery_failed(delivery_id=delivery.pk, error=error, final=False)
        delays = notifications_settings.EMAIL_RETRY_DELAYS_SECONDS
        if not retry_later(send_appointment_email, attempt=attempt, delays=delays, **arguments):
            services.email_delivery_failed(delivery_id=delivery.pk, error=error, final=True)
            raise
        logger.warning(
            "The %s email of event %s could not be sent (attempt %s); it will be retried.",
            kind,
            event_id,
            attempt,
            exc_info=True,
        )
        return RETRY_SCHEDULED
    return outcome


@task
def send_appointment_reminder(*, reminder_id: int, attempt: int = 1) -> str:
    """Send the :class:`~psico_notifications.models.Reminder` ``reminder_id`` at most once,
    if it is still due; enqueued to run at its moment by :func:`~.reminders.reminders_plan`.

    An appointment cancelled, closed, started or moved since the reminder was planned gets
    nothing (:data:`NO_LONGER_DUE`); a recipient who turned reminders off neither
    (:data:`NOT_WANTED`). The row is locked while the email goes out, as
    :func:`send_appointment_email` does, and mail server failures are retried the same way.
    """
    from . import reminders  # reminders imports the models: only when the task runs.

    try:
        with transaction.atomic():
            outcome = reminders.reminder_send(reminder_id=reminder_id)
    except (smtplib.SMTPException, OSError) as error:
        reminders.reminder_failed(reminder_id=reminder_id, error=error, final=False)
        delays = notifications_settings.EMAIL_RETRY_DELAYS_SECONDS
        if not retry_later(
            send_appointment_reminder, attempt=attempt, delays=delays, reminder_id=reminder_id
        ):
            reminders.reminder_failed(reminder_id=reminder_id, error=error, final=True)
            raise
        logger.warning(
            "Reminder %s could not be sent (attempt %s); it will be retried.",
            reminder_id,
            attempt,
            exc_info=True,
        )
        return RETRY_SCHEDULED
    return outcome


@task
def send_webhook(*, delivery_id: int, attempt: int = 1) -> str:
    """One attempt at the webhook delivery ``delivery_id``, signed per Standard Webhooks.

    The delivery's row is locked while the request is made (a second worker skips it) and a
    delivered or failed message is never sent again by a stale task. A refused or unanswered
    request, or an answer other than 2xx, is retried after ``WEBHOOK_RETRY_DELAYS_SECONDS``;
    when they are spent the message has failed and counts against its endpoint, which is
    disabled after ``WEBHOOK_DISABLE_AFTER_FAILURES`` failed messages in a row.
    """
    import datetime as dt

    from django.utils import timezone

    from . import webhooks  # imports the models: only when the task runs.

    with transaction.atomic():
        outcome, error = webhooks.webhook_delivery_attempt(delivery_id=delivery_id)
    if outcome != webhooks.FAILED:
        return outcome
    delays = notifications_settings.WEBHOOK_RETRY_DELAYS_SECONDS
    if retry_later(send_webhook, attempt=attempt, delays=delays, delivery_id=delivery_id):
        next_at = timezone.now() + dt.timedelta(seconds=delays[attempt - 1])
        webhooks.webhook_delivery_retry_scheduled(delivery_id=delivery_id, at=next_at)
        logger.warning(
            "Webhook delivery %s failed (attempt %s: %s); it will be retried.",
            delivery_id,
            attempt,
            error,
        )
        return RETRY_SCHEDULED
    disabled = webhooks.webhook_delivery_failed(delivery_id=delivery_id)
    logger.warning(
        "Webhook delivery %s failed after %s attempts (%s)%s.",
        delivery_id,
        attempt,
        error,
        "; its endpoint is now disabled" if disabled else "",
    )
    return webhooks.FAILED
