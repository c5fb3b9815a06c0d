"""The outbox: each lifecycle change writes an ``AppointmentEvent`` in its own transaction,
and the relay sends each one as ``appointment_event_recorded``, once, even with two relays."""

import datetime as dt
import io
import logging
import os
import threading

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection, connections, transaction
from django.test import override_settings
from django.utils import timezone
from psico_accounts.testing.factories import ProfessionalFactory
from psico_scheduling import services
from psico_scheduling.models import AppointmentEvent, AppointmentEventName, AppointmentStatus
from psico_scheduling.signals import appointment_event_recorded
from psico_scheduling.tasks import relay_appointment_events
from psico_scheduling.testing.factories import AppointmentFactory, weekly_schedule_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def received():
    """Every ``appointment_event_recorded`` sent: (name, appointment id, sequence, payload)."""
    calls = []

    def receiver(sender, *, event, **kwargs):
        assert sender is AppointmentEvent
        calls.append((event.name, event.appointment_id, event.sequence, event.payload))

    appointment_event_recorded.connect(receiver, dispatch_uid="test_outbox.received")
    yield calls
    appointment_event_recorded.disconnect(dispatch_uid="test_outbox.received")


def _iso(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat()


def test_each_change_records_one_event_with_an_increasing_sequence(
    patient, professional, weekly_schedule, next_monday, book
):
    appointment = book(patient, professional, next_monday, "10:00")
    first_start = appointment.start
    services.appointment_confirm(appointment=appointment, by=professional)
    services.appointment_update(appointment=appointment, by=patient, start_time=dt.time(11))
    services.appointment_update(appointment=appointment, by=patient, reason="Only the reason")
    services.appointment_cancel(appointment=appointment, by=professional, reason="Enfermedad")

    events = list(AppointmentEvent.objects.filter(appointment=appointment))
    assert [(e.name, e.sequence, e.actor_id) for e in events] == [
        (AppointmentEventName.BOOKED, 0, patient.pk),
        (AppointmentEventName.CONFIRMED, 1, professional.pk),
        (AppointmentEventName.RESCHEDULED, 2, patient.pk),
        (AppointmentEventName.CANCELLED, 3, professional.pk),
    ]
    booked, _confirmed, rescheduled, cancelled = events
    assert booked.payload == {
        "start": _iso(first_start),
        "end": _iso(first_start + dt.timedelta(hours=1)),
    }
    assert rescheduled.payload == {
        "start": _iso(appointment.start),
        "end": _iso(appointment.end),
        "previous_start": _iso(first_start),
        "previous_end": _iso(first_start + dt.timedelta(hours=1)),
    }
    assert cancelled.payload["late"] is False
    assert cancelled.payload["reason"] == "Enfermedad"
    assert all(event.dispatched_at is None for event in events)  # no commit in this test


def test_a_late_cancellation_is_marked_late(patient, professional):
    start = (timezone.now() + dt.timedelta(hours=3)).replace(microsecond=0)
    appointment = AppointmentFactory(
        patient=patient, psychologist=professional, start=start, end=start + dt.timedelta(hours=1)
    )
    services.appointment_cancel(appointment=appointment, by=patient, reason="Imprevisto")

    event = AppointmentEvent.objects.get(appointment=appointment)
    assert (event.name, event.sequence, event.payload["late"]) == ("appointment.cancelled", 0, True)


def test_closing_records_completed_and_no_show(patient, professional):
    start = (timezone.now() - dt.timedelta(hours=2)).replace(microsecond=0)
    held, missed = (
        AppointmentFactory(
            patient=patient,
            psychologist=professional,
            start=start + dt.timedelta(hours=offset),
            end=start + dt.timedelta(hours=offset + 1),
        )
        for offset in (-24, 0)
    )
    services.appointment_complete(appointment=held, by=professional)
    services.appointment_mark_no_show(appointment=missed, by=professional)

    assert list(AppointmentEvent.objects.values_list("appointment_id", "name")) == [
        (held.pk, "appointment.completed"),
        (missed.pk, "appointment.no_show"),
    ]


def test_a_rolled_back_change_leaves_no_event(patient, professional, weekly_schedule, next_monday):
    with pytest.raises(RuntimeError), transaction.atomic():
        services.appointment_book(
            patient=patient, psychologist=professional, date=next_monday, start_time=dt.time(9)
        )
        assert AppointmentEvent.objects.count() == 1
        raise RuntimeError("the request failed after the booking")

    assert not AppointmentEvent.objects.exists()


def test_a_refused_change_leaves_no_event(patient, professional, appointment):
    services.appointment_confirm(appointment=appointment, by=professional)
    with pytest.raises(ValidationError):
        services.appointment_confirm(appointment=appointment, by=professional)

    assert list(AppointmentEvent.objects.values_list("name", flat=True)) == [
        "appointment.confirmed"
    ]


def test_the_relay_runs_on_commit_and_sends_each_event_once(book_before_commit, received):
    appointment, callbacks = book_before_commit("09:00")
    assert received == []  # nothing before the commit

    for callback in callbacks:
        callback()  # the immediate backend runs the relay here

    event = AppointmentEvent.objects.get()
    assert [(name, pk, sequence) for name, pk, sequence, _ in received] == [
        ("appointment.booked", appointment.pk, 0)
    ]
    assert event.dispatched_at is not None
    assert relay_appointment_events.call() == 0
    assert len(received) == 1


def test_an_event_whose_relay_never_ran_is_sent_by_the_next_one(book_before_commit, received):
    # The process "dies" after the commit: the on-commit enqueue never happens.
    book_before_commit("09:00")
    assert AppointmentEvent.objects.get().dispatched_at is None

    out = io.StringIO()
    call_command("relay_appointment_events", stdout=out)

    assert "Relayed 1 appointment event(s)." in out.getvalue()
    assert [name for name, *_ in received] == ["appointment.booked"]
    assert AppointmentEvent.objects.get().dispatched_at is not None


def test_a_failing_receiver_leaves_the_event_waiting_and_the_next_relay_sends_it(
    appointment, professional, received, caplog
):
    fail = True
    calls_of_the_broken_receiver = []

    def broken(sender, *, event, **kwargs):
        # A write before the failure: rolled back with the event's savepoint.
        AppointmentEvent.objects.filter(pk=event.pk).update(payload={"half": "written"})
        calls_of_the_broken_receiver.append(event.pk)
        if fail:
            raise RuntimeError("a host's receiver is broken")

    appointment_event_recorded.connect(broken, dispatch_uid="test_outbox.broken")
    try:
        services.appointment_confirm(appointment=appointment, by=professional)
        services.appointment_cancel(appointment=appointment, by=professional, reason="Viaje")
        with caplog.at_level(logging.ERROR, logger="psico_scheduling.tasks"):
            assert relay_appointment_events.call() == 0
        waiting = list(AppointmentEvent.objects.order_by("pk"))
        assert [(e.dispatched_at, e.relay_failures) for e in waiting] == [(None, 1), (None, 1)]
        assert all("a host's receiver is broken" in e.relay_error for e in waiting)
        assert all(e.payload != {"half": "written"} for e in waiting)
        assert "a host's receiver is broken" in caplog.text

        fail = False
        assert relay_appointment_events.call() == 2
    finally:
        appointment_event_recorded.disconnect(dispatch_uid="test_outbox.broken")

    # Every receiver saw each event again: at least once, never lost.
    assert [name for name, *_ in received] == [
        "appointment.confirmed",
        "appointment.cancelled",
        "appointment.confirmed",
        "appointment.cancelled",
    ]
    assert not AppointmentEvent.objects.filter(dispatched_at__isnull=True).exists()
    assert len(calls_of_the_broken_receiver) == 4


def test_one_failing_event_does_not_hold_up_the_others(appointment, professional, received):
    services.appointment_confirm(appointment=appointment, by=professional)
    services.appointment_cancel(appointment=appointment, by=professional, reason="Viaje")
    confirmed = AppointmentEvent.objects.get(name=AppointmentEventName.CONFIRMED)

    def broken_on_the_confirmation(sender, *, event, **kwargs):
        if event.pk == confirmed.pk:
            raise RuntimeError("only this event")

    appointment_event_recorded.connect(broken_on_the_confirmation, dispatch_uid="test_outbox.one")
    try:
        assert relay_appointment_events.call() == 1
    finally:
        appointment_event_recorded.disconnect(dispatch_uid="test_outbox.one")

    assert list(
        AppointmentEvent.objects.filter(dispatched_at__isnull=True).values_list("pk", flat=True)
    ) == [confirmed.pk]


@pytest.mark.usefixtures("database_tasks")
def test_after_a_failure_the_relay_enqueues_itself_after_the_delay(
    appointment, professional, settings
):
    from django_tasks_db.models import DBTaskResult

    settings.PSICO_SCHEDULING = {"EVENT_RELAY_RETRY_DELAYS_SECONDS": (45, 600)}
    services.appointment_confirm(appointment=appointment, by=professional)

    def broken(sender, **kwargs):
        raise RuntimeError("a host's receiver is broken")

    appointment_event_recorded.connect(broken, dispatch_uid="test_outbox.later")
    try:
        DBTaskResult.objects.all().delete()  # the relay the confirmation enqueued on commit
        before = timezone.now()
        assert relay_appointment_events.call() == 0
        assert relay_appointment_events.call() == 0  # the event's second failure
    finally:
        appointment_event_recorded.disconnect(dispatch_uid="test_outbox.later")

    retries = list(DBTaskResult.objects.order_by("run_after"))
    assert [r.task_path for r in retries] == ["psico_scheduling.tasks.relay_appointment_events"] * 2
    first, second = (r.run_after - before for r in retries)
    assert dt.timedelta(seconds=45) <= first < dt.timedelta(seconds=45 + 60)
    assert dt.timedelta(seconds=600) <= second < dt.timedelta(seconds=600 + 60)


def test_relays_in_batches(appointment, professional, received, settings):
    settings.PSICO_SCHEDULING = {"EVENT_RELAY_BATCH_SIZE": 1}
    services.appointment_confirm(appointment=appointment, by=professional)
    services.appointment_cancel(appointment=appointment, by=professional, reason="Viaje")

    assert relay_appointment_events.call() == 2
    assert [name for name, *_ in received] == ["appointment.confirmed", "appointment.cancelled"]


@pytest.mark.django_db(transaction=True)
def test_two_relays_at_once_send_each_event_exactly_once():
    """Relay A holds the first event's row lock (its receiver waits) while relay B runs:
    B skips that row, sends the other, and A then finds nothing left."""
    if connection.vendor != "postgresql":
        if os.environ.get("PSICO_REQUIRE_SERVICES") == "1":
            pytest.fail(f"PSICO_REQUIRE_SERVICES=1 but the database is {connection.vendor}.")
        pytest.skip("Row locks that skip locked rows need PostgreSQL.")
    professional = ProfessionalFactory()
    weekly_schedule_for(professional)
    for appointment in AppointmentFactory.create_batch(2, psychologist=professional):
        services.appointment_confirm(appointment=appointment, by=professional)
    # The immediate backend relayed them on commit; as if no worker had run yet:
    AppointmentEvent.objects.update(dispatched_at=None)
    a_holds_its_lock = threading.Event()
    b_finished = threading.Event()
    sent: list[tuple[str, int]] = []

    def receiver(sender, *, event, **kwargs):
        who = threading.current_thread().name
        sent.append((who, event.pk))
        if who == "A":
            a_holds_its_lock.set()
            b_finished.wait(timeout=30)

    def relay(name: str) -> None:
        try:
            if name == "B":
                a_holds_its_lock.wait(timeout=30)
            relay_appointment_events.call()
        finally:
            if name == "B":
                b_finished.set()
            connections.close_all()

    appointment_event_recorded.connect(receiver, dispatch_uid="test_outbox.race")
    try:
        with override_batch_size(1):
            threads = [threading.Thread(target=relay, args=(n,), name=n) for n in ("A", "B")]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=60)
    finally:
        appointment_event_recorded.disconnect(dispatch_uid="test_outbox.race")

    first, second = AppointmentEvent.objects.order_by("pk")
    assert sorted(sent) == [("A", first.pk), ("B", second.pk)]
    assert not AppointmentEvent.objects.filter(dispatched_at__isnull=True).exists()
    assert AppointmentStatus.CONFIRMED == first.appointment.status


def override_batch_size(size: int):
    return override_settings(PSICO_SCHEDULING={"EVENT_RELAY_BATCH_SIZE": size})
