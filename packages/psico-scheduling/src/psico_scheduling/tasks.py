"""Background tasks of scheduling, run by the ``TASKS`` backend (a worker in production)."""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone
from psico_core.tasks_compat import task

from .conf import scheduling_settings
from .models import AppointmentEvent
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
    """
    relayed = 0
    while True:
        with transaction.atomic():
            batch = list(
                AppointmentEvent.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(dispatched_at__isnull=True)
                .select_related("appointment", "actor")
                .order_by("pk")[: scheduling_settings.EVENT_RELAY_BATCH_SIZE]
            )
            if not batch:
                return relayed
            for event in batch:
                _send(event)
            AppointmentEvent.objects.filter(pk__in=[event.pk for event in batch]).update(
                dispatched_at=timezone.now()
            )
        relayed += len(batch)


def _send(event: AppointmentEvent) -> None:
    results = appointment_event_recorded.send_robust(AppointmentEvent, event=event)
    for receiver, result in results:
        if isinstance(result, Exception):
            logger.error(
                "A receiver of appointment_event_recorded (%r) failed on %s (event %s).",
                receiver,
                event.name,
                event.pk,
                exc_info=result,
            )


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
