"""Reminders before each appointment: planned when an event gives the appointment a time,
sent by a deferred task that checks, when it runs, that they are still due.

An appointment gets a time when it is booked or rescheduled; each of those events plans one
:class:`~psico_notifications.models.Reminder` per participant and offset
(``REMINDER_OFFSETS_MINUTES``) and enqueues its task to run at start − offset through the task
backend's run-after support (no cron). A moment that had already passed when the event
happened is skipped. Nothing is taken back on a cancellation or a move: the task itself finds
the appointment cancelled, closed or at another time and sends nothing (``obsolete``).
"""

from __future__ import annotations

import datetime as dt
import logging

from django.contrib.auth import get_user_model
from django.db.models import F
from django.utils import timezone
from psico_scheduling.models import Appointment, AppointmentEvent, AppointmentEventName
from psico_scheduling.selectors import appointment_is_open

from . import selectors
from .conf import notifications_settings
from .emails import reminder_email
from .models import Reminder, ReminderStatus

logger = logging.getLogger(__name__)

# The events after which an appointment is active at a (new) time.
TIMED_EVENTS = frozenset({AppointmentEventName.BOOKED, AppointmentEventName.RESCHEDULED})


def reminder_moments(
    *, start: dt.datetime, happened_at: dt.datetime, offsets
) -> list[tuple[int, dt.datetime]]:
    """``(offset, start − offset)`` for each offset whose moment is after ``happened_at``:
    a reminder that would have been due before the appointment got its time is skipped."""
    moments = [(offset, start - dt.timedelta(minutes=offset)) for offset in offsets]
    return [(offset, moment) for offset, moment in moments if moment > happened_at]


def reminders_plan(*, event: AppointmentEvent) -> list[Reminder]:
    """Plan and enqueue the reminders of the time ``event`` gave its appointment (booked or
    rescheduled; other events plan nothing): one per participant and offset still ahead.

    Runs inside the outbox relay's transaction: on the database backend the rows and their
    tasks are stored together with the event's dispatched mark. An event relayed twice finds
    its rows and enqueues tasks that then send nothing more.
    """
    from .tasks import send_appointment_reminder

    if event.name not in TIMED_EVENTS:
        return []
    if not send_appointment_reminder.get_backend().supports_defer:
        # The immediate backend would send every reminder right now, inside the request.
        logger.warning("The task backend cannot defer tasks: no reminders are planned.")
        return []
    appointment = event.appointment
    start = dt.datetime.fromisoformat(event.payload["start"])
    moments = reminder_moments(
        start=start,
        happened_at=event.created_at,
        offsets=notifications_settings.REMINDER_OFFSETS_MINUTES,
    )
    planned = []
    for recipient_id in (appointment.patient_id, appointment.psychologist_id):
        for offset, moment in moments:
            # An appointment moved away and back finds its earlier row here, still pending:
            # a row turns obsolete only when its moment has come, and a moment already past
            # is never planned again.
            reminder, _created = Reminder.objects.get_or_create(
                appointment_id=appointment.pk,
                recipient_id=recipient_id,
                offset_minutes=offset,
                planned_start=start,
            )
            send_appointment_reminder.using(run_after=moment).enqueue(reminder_id=reminder.pk)
            planned.append(reminder)
    return planned


def reminder_send(*, reminder_id: int) -> str:
    """Send one reminder unless it is sent, unwanted, being sent or no longer due; must run
    inside a transaction, which holds the row lock until the ``sent`` mark commits.

    No longer due: the appointment was cancelled, completed or marked no-show, has started,
    or starts at another time than the reminder was planned for.
    """
    from .tasks import ALREADY_SENT, IN_PROGRESS, NO_LONGER_DUE, NOT_WANTED, SENT

    reminder = (
        Reminder.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(pk=reminder_id)
        .first()
    )
    if reminder is None:
        return IN_PROGRESS
    if reminder.status == ReminderStatus.SENT:
        return ALREADY_SENT
    if reminder.status == ReminderStatus.SKIPPED:
        return NOT_WANTED
    if reminder.status == ReminderStatus.OBSOLETE:
        return NO_LONGER_DUE
    appointment = Appointment.objects.select_related("patient", "psychologist").get(
        pk=reminder.appointment_id
    )
    if not appointment_is_open(appointment) or appointment.start != reminder.planned_start:
        return reminder.mark(ReminderStatus.OBSOLETE, NO_LONGER_DUE)
    recipient = get_user_model().objects.get(pk=reminder.recipient_id)
    if not recipient.is_active or not recipient.email:
        return reminder.mark(ReminderStatus.SKIPPED, NOT_WANTED)
    if not selectors.notification_preference_of(user=recipient).email_reminders:
        return reminder.mark(ReminderStatus.SKIPPED, NOT_WANTED)
    reminder_email(appointment=appointment, recipient=recipient).send()
    reminder.sent_at = timezone.now()
    reminder.attempts = F("attempts") + 1
    return reminder.mark(ReminderStatus.SENT, SENT)


def reminder_failed(*, reminder_id: int, error: BaseException, final: bool) -> None:
    """Record a failed attempt (and, when no retry follows, that the reminder failed)."""
    Reminder.record_failure(pk=reminder_id, error=error, final=final)
