"""Scheduling's own receivers of the outbox: a time freed by a cancellation or a move is
offered to the waiting list."""

from __future__ import annotations

import datetime as dt

from .models import AppointmentEvent, AppointmentEventName


def on_appointment_event_offer_waitlist(sender, *, event: AppointmentEvent, **kwargs) -> None:
    """Runs in the relay's transaction: the offer, its ``waitlist.offered`` event and its
    expiry task commit (or roll back) with the freeing event's dispatched mark. A relayed
    twice event finds the time held already and offers nothing more."""
    from .services import waitlist_offer_freed_time

    if event.name == AppointmentEventName.CANCELLED:
        freed = event.payload.get("start")
    elif event.name == AppointmentEventName.RESCHEDULED:
        freed = event.payload.get("previous_start")
    else:
        return
    if freed:
        waitlist_offer_freed_time(
            appointment=event.appointment, start=dt.datetime.fromisoformat(freed)
        )
