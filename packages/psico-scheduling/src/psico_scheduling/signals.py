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
"""

from __future__ import annotations

import logging
from functools import partial

from django.db import transaction
from django.dispatch import Signal

logger = logging.getLogger(__name__)

APPOINTMENT_BOOKED = "appointment.booked"
APPOINTMENT_CONFIRMED = "appointment.confirmed"
APPOINTMENT_CANCELLED = "appointment.cancelled"
APPOINTMENT_RESCHEDULED = "appointment.rescheduled"
APPOINTMENT_COMPLETED = "appointment.completed"
APPOINTMENT_NO_SHOW = "appointment.no_show"

APPOINTMENT_EVENTS = (
    APPOINTMENT_BOOKED,
    APPOINTMENT_CONFIRMED,
    APPOINTMENT_CANCELLED,
    APPOINTMENT_RESCHEDULED,
    APPOINTMENT_COMPLETED,
    APPOINTMENT_NO_SHOW,
)

appointment_changed = Signal()


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
