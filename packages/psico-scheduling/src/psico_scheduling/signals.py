"""Signals other apps listen to: the public extension point of the appointment lifecycle.

``appointment_changed`` is sent once per lifecycle change, after the transaction that made
it has committed (a rolled-back change announces nothing), with these keyword arguments:

- ``appointment``: the :class:`~psico_scheduling.models.Appointment` as committed;
- ``event``: what happened, one of :data:`APPOINTMENT_EVENTS` (``"appointment.booked"``,
  ``"appointment.confirmed"``, ...), the names the API's events use everywhere;
- ``by``: the user who did it (the patient who booked, the professional who confirmed, the
  clinic admin who cancelled, ...).

The sender is the ``Appointment`` class. Receivers run with ``send_robust``: one that raises
is logged (logger ``psico_scheduling.signals``) and never fails the request that changed the
appointment, nor keeps the other receivers from running. Do slow work (email, webhooks) in a
task, not in the receiver. Editing only the reason announces nothing: the appointment's
time and status stay the same.

Listen from your ``AppConfig.ready``::

    from psico_scheduling.signals import appointment_changed

    def on_appointment_changed(sender, *, appointment, event, by, **kwargs): ...

    appointment_changed.connect(on_appointment_changed, dispatch_uid="myapp.appointments")

``appointment_changed`` is for live effects (a badge in an open page): a process that dies
between the commit and the signal loses it. What must not be lost (email, webhooks, an
audit) listens to ``appointment_event_recorded`` instead, sent by a worker from the outbox
(:class:`~psico_scheduling.models.AppointmentEvent`, written in the same transaction as the
change), at least once per change, with one keyword argument:

- ``event``: the :class:`~psico_scheduling.models.AppointmentEvent`: ``name`` (one of
  :data:`APPOINTMENT_EVENTS`), ``appointment``, ``actor`` (who did it), ``sequence`` (0 for
  the booking, one more for each later change of that appointment), ``created_at`` and
  ``payload``: ``start`` and ``end`` (ISO 8601, UTC) always; for a cancellation ``late``
  (within ``CANCELLATION_WINDOW_HOURS``) and ``reason``; for a reschedule
  ``previous_start`` and ``previous_end``.

The outbox also carries ``waitlist.offered`` (:data:`WAITLIST_OFFERED`, never sent as
``appointment_changed``): a time the appointment's cancellation or move freed is held for a
patient of the waiting list. Its ``actor`` is None and its ``payload`` holds ``start``,
``end`` and ``expires_at`` (ISO 8601, UTC), ``offer_id``, ``waitlist_entry_id``,
``patient_id`` (who the time is held for: not the appointment's patient) and
``psychologist_id``.

Its receivers run inside the worker's transaction that marks the event dispatched: one that
enqueues a task on the database backend enqueues it atomically with that mark. A receiver
that raises is logged and the others still run. A worker that dies before the commit leaves
the event waiting, and the next relay sends it again: make receivers idempotent (e.g. a
unique key per event and recipient)::

    from psico_scheduling.signals import appointment_event_recorded

    def on_event(sender, *, event, **kwargs): ...

    appointment_event_recorded.connect(on_event, dispatch_uid="myapp.appointment_events")
"""

from __future__ import annotations

import logging
from functools import partial

from django.db import transaction
from django.dispatch import Signal

from .choices import AppointmentEventName

logger = logging.getLogger(__name__)

APPOINTMENT_BOOKED: str = AppointmentEventName.BOOKED.value
APPOINTMENT_CONFIRMED: str = AppointmentEventName.CONFIRMED.value
APPOINTMENT_CANCELLED: str = AppointmentEventName.CANCELLED.value
APPOINTMENT_RESCHEDULED: str = AppointmentEventName.RESCHEDULED.value
APPOINTMENT_COMPLETED: str = AppointmentEventName.COMPLETED.value
APPOINTMENT_NO_SHOW: str = AppointmentEventName.NO_SHOW.value
# Outbox only (never sent as ``appointment_changed``): a time the appointment freed is held
# for a patient of the waiting list.
WAITLIST_OFFERED: str = AppointmentEventName.WAITLIST_OFFERED.value

APPOINTMENT_EVENTS = (
    APPOINTMENT_BOOKED,
    APPOINTMENT_CONFIRMED,
    APPOINTMENT_CANCELLED,
    APPOINTMENT_RESCHEDULED,
    APPOINTMENT_COMPLETED,
    APPOINTMENT_NO_SHOW,
)

appointment_changed = Signal()
appointment_event_recorded = Signal()


def appointment_changed_announce(*, appointment, event: str, by) -> None:
    """Send :data:`appointment_changed` once the current transaction commits (at once when
    there is none). Called by the lifecycle services; not meant for other callers."""
    if event not in APPOINTMENT_EVENTS:
        raise ValueError(f"Unknown appointment event {event!r}.")
    transaction.on_commit(partial(_send, appointment=appointment, event=event, by=by))


def _send(*, appointment, event: str, by) -> None:
    sender = type(appointment)
    results = appointment_changed.send_robust(sender, appointment=appointment, event=event, by=by)
    for receiver, result in results:
        if isinstance(result, Exception):
            logger.error(
                "A receiver of appointment_changed (%r) failed on %s of appointment %s.",
                receiver,
                event,
                appointment.pk,
                exc_info=result,
            )
