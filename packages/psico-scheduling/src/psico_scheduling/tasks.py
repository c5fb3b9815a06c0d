"""Background tasks of scheduling, run by the ``TASKS`` backend (a worker in production)."""

from __future__ import annotations

import logging
import traceback
from datetime import time, timedelta

from django.db import transaction
from django.utils import timezone
from psico_core.tasks_compat import task

from .conf import scheduling_settings
from .models import AppointmentEvent, SeriesDate, SeriesDateStatus
from .signals import appointment_event_recorded

logger = logging.getLogger(__name__)


@task
def relay_appointment_events() -> int:
    """Send every undispatched :class:`~psico_scheduling.models.AppointmentEvent` as
    :data:`~psico_scheduling.signals.appointment_event_recorded`, oldest first, and mark it
    dispatched; returns how many it sent.

    Each batch is read with ``SELECT ... FOR UPDATE SKIP LOCKED`` and marked in the same
    transaction, so two workers relaying at once never send one event twice: each takes the
    rows the other has not locked. A worker that dies mid-batch commits nothing, and the
    next run sends that batch again (at least once). On SQLite, whose transactions take the
    write lock when they begin, the workers simply queue.

    Each event is sent inside a savepoint. When a receiver raises, what the event's receivers
    wrote (the tasks they enqueued on the database backend included) is rolled back, the
    event stays waiting with its error, the other events go on, and the relay enqueues itself
    again after ``EVENT_RELAY_RETRY_DELAYS_SECONDS``: receivers must be idempotent, as they
    see the event again.
    """
    relayed = 0
    failed: dict[int, int] = {}  # event id → its count of failed relays
    while True:
        with transaction.atomic():
            batch = list(
                AppointmentEvent.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(dispatched_at__isnull=True)
                .exclude(pk__in=list(failed))
                .select_related("appointment", "actor")
                .order_by("pk")[: scheduling_settings.EVENT_RELAY_BATCH_SIZE]
            )
            if not batch:
                break
            sent = []
            for event in batch:
                error = _send(event)
                if error is None:
                    sent.append(event.pk)
                    continue
                event.relay_failures += 1
                event.relay_error = error
                event.save(update_fields=["relay_failures", "relay_error"])
                failed[event.pk] = event.relay_failures
            AppointmentEvent.objects.filter(pk__in=sent).update(dispatched_at=timezone.now())
        relayed += len(sent)
    if failed:
        _relay_again_later(min(failed.values()))
    return relayed


def _send(event: AppointmentEvent) -> str | None:
    """Send ``event`` in a savepoint; the failing receiver's traceback, or None."""
    try:
        with transaction.atomic():
            appointment_event_recorded.send(AppointmentEvent, event=event)
    except Exception:
        logger.exception(
            "A receiver of appointment_event_recorded failed on %s (event %s); the event "
            "stays in the outbox and is relayed again later.",
            event.name,
            event.pk,
        )
        return traceback.format_exc(limit=20)
    return None


def _relay_again_later(failures: int) -> None:
    delays = scheduling_settings.EVENT_RELAY_RETRY_DELAYS_SECONDS
    if not relay_appointment_events.get_backend().supports_defer:
        return  # the immediate backend: the next change's relay, or the command, sends it
    delay = delays[min(failures, len(delays)) - 1]
    try:
        relay_appointment_events.using(
            run_after=timezone.now() + timedelta(seconds=delay)
        ).enqueue()
    except Exception:
        logger.exception("Could not enqueue the appointment event relay's retry.")


def relay_appointment_events_soon() -> None:
    """Enqueue :func:`relay_appointment_events`; the lifecycle services call it on commit.

    Should the enqueue fail (or the process die first), the event still waits in the outbox
    and the next relay, after any later change or a ``relay_appointment_events`` command,
    sends it.
    """
    try:
        relay_appointment_events.enqueue()
    except Exception:
        # The change is committed; failing its request now would only hide that.
        logger.exception("Could not enqueue the appointment event relay.")


@task
def book_series_dates(series_id: int | None = None) -> dict[str, int]:
    """Book the pending dates of recurring series that the booking horizon has reached (of
    ``series_id``, or of every series); then, for one series, enqueue itself again for the
    moment its next pending date comes within the horizon. Returns ``{"booked", "skipped"}``.

    Each series enqueues it when it is created with dates beyond the horizon; the
    ``book_series_dates`` command runs it for every series (a daily cron is a safety net
    for a lost task or a raised ``MAX_DAYS_AHEAD``).
    """
    from .services import series_dates_book_due

    outcome = series_dates_book_due(series_id=series_id)
    if series_id is not None:
        series_booking_schedule(series_id=series_id)
    return outcome


def series_booking_schedule(*, series_id: int) -> None:
    """Enqueue :func:`book_series_dates` for ``series_id`` to run once its next pending date
    is within the booking horizon: a minute past the professional's local midnight of that
    date minus ``MAX_DAYS_AHEAD``. The series' services call it on commit.

    Nothing is enqueued on a backend that cannot defer (the immediate one would book it now,
    which the horizon forbids): the command does the work there.
    """
    from .selectors import professional_time_zone
    from .slots import local_to_utc

    try:
        if not book_series_dates.get_backend().supports_defer:
            return
        upcoming = (
            SeriesDate.objects.filter(series_id=series_id, status=SeriesDateStatus.PENDING)
            .select_related("series__psychologist__professional_profile")
            .order_by("date")
            .first()
        )
        if upcoming is None:
            return
        zone = professional_time_zone(upcoming.series.psychologist)
        opens = upcoming.date - timedelta(days=scheduling_settings.MAX_DAYS_AHEAD)
        run_after = local_to_utc(opens, time(0), zone) + timedelta(minutes=1)
        book_series_dates.using(run_after=max(run_after, timezone.now())).enqueue(
            series_id=series_id
        )
    except Exception:
        # The dates stay pending: the book_series_dates command books them.
        logger.exception("Could not enqueue the booking of series %s.", series_id)


@task
def expire_waitlist_offer(*, offer_id: int) -> str:
    """Run at a waiting list hold's ``expires_at``: a hold not booked by then expires and the
    slot goes to the next in line (:func:`~psico_scheduling.services.waitlist_offer_expire`)."""
    from .services import waitlist_offer_expire

    next_offer = waitlist_offer_expire(offer_id=offer_id)
    return "offered" if next_offer is not None else "done"
