"""Reminders before each appointment, sent by a real worker (``db_worker``) to a real SMTP
server at start − offset: to both participants, in their language, once; never for a cancelled
or moved time; skipped when their moment had passed at booking or the person turned them off;
retried through a mail server outage.

The clock is moved with time-machine (the worker runs in this process for those tests); the
test of two workers at once runs them as separate processes on PostgreSQL at the real time,
after booking in the past.
"""

from __future__ import annotations

import datetime as dt
import math
import os
from pathlib import Path

import pytest
import time_machine
from django.core.checks import Error
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from psico_accounts.testing.factories import TEST_PASSWORD, PatientFactory, ProfessionalFactory
from psico_core.tasks_compat import TaskResultStatus
from psico_core.testing import worker
from psico_notifications import services as notification_services
from psico_notifications.checks import check_settings
from psico_notifications.models import Reminder, ReminderStatus
from psico_notifications.reminders import reminder_moments
from psico_notifications.tasks import ALREADY_SENT, NO_LONGER_DUE, RETRY_SCHEDULED, SENT
from psico_scheduling import services
from psico_scheduling.models import AppointmentEvent
from psico_scheduling.tasks import relay_appointment_events
from psico_scheduling.testing.factories import weekly_schedule_for

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("database_tasks"),
]

PACKAGE_DIR = Path(__file__).resolve().parent.parent
REMIND = "psico_notifications.tasks.send_appointment_reminder"
DAY, TWO_HOURS = 1440, 120
SECOND = dt.timedelta(seconds=1)


@pytest.fixture
def people():
    professional = ProfessionalFactory(
        first_name="Lucía", last_name="Rojas", email="lucia@psico.bo", language="en"
    )
    weekly_schedule_for(professional)
    patient = PatientFactory(
        first_name="Ana", last_name="Quispe", email="ana@psico.bo", language="es"
    )
    return patient, professional


@pytest.fixture
def run_worker_at(smtp_server):
    """``run_worker_at(moment)``: the clock reads ``moment``; a worker in this process runs
    every task due by then; the emails reach ``smtp_server``."""

    def run(moment: dt.datetime | None = None) -> None:
        if moment is None:
            worker.run_worker_here(smtp_port=smtp_server.port)
            return
        with time_machine.travel(moment, tick=True):
            worker.run_worker_here(smtp_port=smtp_server.port)

    return run


def _reminders(smtp_server) -> list:
    return [
        message
        for message in smtp_server.messages
        if any(word in message["Subject"] for word in ("Reminder", "Recordatorio"))
    ]


def _text(message) -> str:
    return message.get_body(("plain",)).get_content()


def _book(patient, professional, date: dt.date, hour: int):
    return services.appointment_book(
        patient=patient, psychologist=professional, date=date, start_time=dt.time(hour)
    )


def test_both_participants_are_reminded_at_each_offset_in_their_language_once(
    people, next_monday, smtp_server, run_worker_at
):
    patient, professional = people
    appointment = _book(patient, professional, next_monday, 10)
    run_worker_at()  # relays the booking: the professional's email, and the reminders planned

    [booking] = smtp_server.messages
    assert booking["To"] == "lucia@psico.bo"
    start = appointment.start
    planned = DBTaskResult.objects.filter(task_path=REMIND)
    assert sorted(result.run_after for result in planned) == [
        start - dt.timedelta(minutes=DAY),
        start - dt.timedelta(minutes=DAY),
        start - dt.timedelta(minutes=TWO_HOURS),
        start - dt.timedelta(minutes=TWO_HOURS),
    ]
    assert all(result.status == TaskResultStatus.READY for result in planned)
    assert Reminder.objects.filter(status=ReminderStatus.PENDING).count() == 4

    run_worker_at(start - dt.timedelta(minutes=DAY) - SECOND)  # not yet
    assert _reminders(smtp_server) == []

    run_worker_at(start - dt.timedelta(minutes=DAY) + SECOND)
    day_before = sorted(_reminders(smtp_server), key=lambda message: message["To"])
    assert [message["To"] for message in day_before] == ["ana@psico.bo", "lucia@psico.bo"]
    to_patient, to_professional = day_before
    assert to_patient["Subject"].strip().startswith("Psico: Recordatorio: cita el ")
    assert "Le recordamos su cita con Lucía Rojas el " in _text(to_patient)
    assert "10:00 (America/La_Paz)" in _text(to_patient)
    assert "todavía no la confirmó" in _text(to_patient)  # still pending
    html = to_patient.get_body(("html",)).get_content()
    assert "Le recordamos su cita con Lucía Rojas" in html and 'lang="es"' in html
    assert to_professional["Subject"].strip().startswith("Psico: Reminder: appointment on ")
    assert "your appointment with Ana Quispe on " in _text(to_professional)
    assert "10:00 (America/La_Paz)" in _text(to_professional)

    services.appointment_confirm(appointment=appointment, by=professional)
    run_worker_at(start - dt.timedelta(minutes=TWO_HOURS) + SECOND)
    run_worker_at(start - dt.timedelta(minutes=TWO_HOURS) + 2 * SECOND)  # a second run: nothing

    assert sorted(message["To"] for message in _reminders(smtp_server)) == [
        "ana@psico.bo",
        "ana@psico.bo",
        "lucia@psico.bo",
        "lucia@psico.bo",
    ]
    for message in _reminders(smtp_server)[2:]:  # confirmed by now
        assert "todavía no la confirmó" not in _text(message)
        assert "It waits for your confirmation" not in _text(message)
    assert Reminder.objects.filter(status=ReminderStatus.SENT, attempts=1).count() == 4
    assert set(planned.values_list("return_value", flat=True)) == {SENT}


def test_a_cancelled_appointment_is_not_reminded(people, next_monday, smtp_server, run_worker_at):
    patient, professional = people
    appointment = _book(patient, professional, next_monday, 10)
    run_worker_at()
    services.appointment_cancel(appointment=appointment, by=patient, reason="Viaje")
    run_worker_at()

    run_worker_at(appointment.start - dt.timedelta(minutes=TWO_HOURS) + SECOND)

    assert [message["To"] for message in smtp_server.messages] == [
        "lucia@psico.bo",  # the booking
        "lucia@psico.bo",  # the cancellation
    ]
    assert set(Reminder.objects.values_list("status", flat=True)) == {ReminderStatus.OBSOLETE}
    results = DBTaskResult.objects.filter(task_path=REMIND)
    assert results.count() == 4
    assert set(results.values_list("return_value", flat=True)) == {NO_LONGER_DUE}


def test_a_rescheduled_appointment_is_reminded_of_its_new_time_only(
    people, next_monday, smtp_server, run_worker_at
):
    patient, professional = people
    appointment = _book(patient, professional, next_monday, 10)
    run_worker_at()
    old_start = appointment.start
    services.appointment_update(
        appointment=appointment,
        by=patient,
        date=next_monday + dt.timedelta(days=1),
        start_time=dt.time(15),
    )
    run_worker_at()
    new_start = appointment.start
    assert new_start - old_start == dt.timedelta(days=1, hours=5)

    run_worker_at(old_start - dt.timedelta(minutes=TWO_HOURS) + SECOND)  # the old time's moments

    assert _reminders(smtp_server) == []
    old = Reminder.objects.filter(planned_start=old_start)
    assert old.count() == 4
    assert set(old.values_list("status", flat=True)) == {ReminderStatus.OBSOLETE}

    run_worker_at(new_start - dt.timedelta(minutes=TWO_HOURS) + SECOND)

    reminders = _reminders(smtp_server)
    assert sorted(message["To"] for message in reminders) == [
        "ana@psico.bo",
        "ana@psico.bo",
        "lucia@psico.bo",
        "lucia@psico.bo",
    ]
    assert all("15:00 (America/La_Paz)" in _text(message) for message in reminders)
    assert not any("10:00" in _text(message) for message in reminders)
    new = Reminder.objects.filter(planned_start=new_start)
    assert set(new.values_list("status", flat=True)) == {ReminderStatus.SENT}


def test_a_reminder_whose_moment_had_passed_at_booking_is_skipped(
    people, next_monday, smtp_server, run_worker_at
):
    patient, professional = people
    start = dt.datetime.combine(next_monday, dt.time(10), tzinfo=dt.UTC) + dt.timedelta(hours=4)
    # Booked twelve hours before the start (10:00 in La Paz is 14:00 UTC): too late for the
    # day-before reminder, in time for the two-hours one.
    with time_machine.travel(start - dt.timedelta(hours=12), tick=True):
        appointment = _book(patient, professional, next_monday, 10)
        run_worker_at()
    assert appointment.start == start

    assert set(Reminder.objects.values_list("offset_minutes", flat=True)) == {TWO_HOURS}
    run_worker_at(start - dt.timedelta(minutes=TWO_HOURS) + SECOND)

    assert sorted(message["To"] for message in _reminders(smtp_server)) == [
        "ana@psico.bo",
        "lucia@psico.bo",
    ]
    assert DBTaskResult.objects.filter(task_path=REMIND).count() == 2


def test_nobody_who_switched_reminders_off_is_reminded(
    people, next_monday, smtp_server, run_worker_at
):
    patient, professional = people
    notification_services.notification_preference_update(user=patient, email_reminders=False)
    # Booking emails off is another switch: the professional is still reminded.
    notification_services.notification_preference_update(
        user=professional, email_booking_activity=False
    )
    appointment = _book(patient, professional, next_monday, 10)
    run_worker_at()

    run_worker_at(appointment.start - dt.timedelta(minutes=TWO_HOURS) + SECOND)

    assert [message["To"] for message in smtp_server.messages] == [
        "lucia@psico.bo",
        "lucia@psico.bo",
    ]
    skipped = Reminder.objects.filter(status=ReminderStatus.SKIPPED)
    assert set(skipped.values_list("recipient", flat=True)) == {patient.pk}
    assert skipped.count() == 2


def test_a_mail_server_outage_is_retried_and_the_reminder_delivered_later(
    people, next_monday, smtp_server, run_worker_at, settings
):
    settings.PSICO_NOTIFICATIONS = {
        "REMINDER_OFFSETS_MINUTES": [TWO_HOURS],
        "EMAIL_RETRY_DELAYS_SECONDS": [600],
    }
    patient, professional = people
    appointment = _book(patient, professional, next_monday, 10)
    run_worker_at()
    moment = appointment.start - dt.timedelta(minutes=TWO_HOURS)
    smtp_server.stop()

    run_worker_at(moment + SECOND)  # refused: nothing sent, a retry waits ten minutes

    first = DBTaskResult.objects.filter(task_path=REMIND, status=TaskResultStatus.SUCCESSFUL)
    assert set(first.values_list("return_value", flat=True)) == {RETRY_SCHEDULED}
    retries = list(DBTaskResult.objects.filter(task_path=REMIND, status=TaskResultStatus.READY))
    assert len(retries) == 2
    assert {result.args_kwargs["kwargs"]["attempt"] for result in retries} == {2}
    for reminder in Reminder.objects.all():
        assert (reminder.status, reminder.attempts) == (ReminderStatus.PENDING, 1)
        assert "Connection" in reminder.last_error

    smtp_server.start()
    run_worker_at(moment + 5 * 60 * SECOND)  # the retries are not due yet
    assert _reminders(smtp_server) == []
    run_worker_at(moment + 11 * 60 * SECOND)

    assert sorted(message["To"] for message in _reminders(smtp_server)) == [
        "ana@psico.bo",
        "lucia@psico.bo",
    ]
    retried = DBTaskResult.objects.filter(pk__in=[result.pk for result in retries])
    assert set(retried.values_list("return_value", flat=True)) == {SENT}
    for reminder in Reminder.objects.all():
        assert (reminder.status, reminder.attempts, reminder.last_error) == (
            ReminderStatus.SENT,
            2,
            "",
        )


def test_an_event_relayed_again_sends_no_reminder_twice(
    people, next_monday, smtp_server, run_worker_at, settings
):
    settings.PSICO_NOTIFICATIONS = {"REMINDER_OFFSETS_MINUTES": [TWO_HOURS]}
    patient, professional = people
    appointment = _book(patient, professional, next_monday, 10)
    run_worker_at()
    moment = appointment.start - dt.timedelta(minutes=TWO_HOURS)
    run_worker_at(moment + SECOND)
    assert len(_reminders(smtp_server)) == 2

    # The relay delivers at least once: a worker that died before its commit relays again.
    AppointmentEvent.objects.update(dispatched_at=None)
    relay_appointment_events.enqueue()
    run_worker_at(moment + 2 * SECOND)

    assert len(_reminders(smtp_server)) == 2
    results = DBTaskResult.objects.filter(task_path=REMIND).order_by("enqueued_at")
    assert [result.return_value for result in results] == [SENT, SENT, ALREADY_SENT, ALREADY_SENT]
    assert Reminder.objects.count() == 2


def test_a_reminder_the_mail_server_never_takes_is_marked_failed(
    people, next_monday, smtp_server, run_worker_at, settings
):
    settings.PSICO_NOTIFICATIONS = {
        "REMINDER_OFFSETS_MINUTES": [TWO_HOURS],
        "EMAIL_RETRY_DELAYS_SECONDS": [],
    }
    patient, professional = people
    appointment = _book(patient, professional, next_monday, 10)
    run_worker_at()
    smtp_server.stop()

    run_worker_at(appointment.start - dt.timedelta(minutes=TWO_HOURS) + SECOND)

    results = DBTaskResult.objects.filter(task_path=REMIND)
    assert set(results.values_list("status", flat=True)) == {TaskResultStatus.FAILED}
    for reminder in Reminder.objects.all():
        assert reminder.status == ReminderStatus.FAILED
        assert "Connection" in reminder.last_error


def test_the_admin_shows_the_reminders_read_only(client, clinic_admin, people, next_monday):
    patient, professional = people
    _book(patient, professional, next_monday, 10)
    relay_appointment_events.call()
    client.login(email=clinic_admin.email, password=TEST_PASSWORD)
    url = reverse("admin:psico_notifications_reminder_changelist")

    response = client.get(url, {"q": "ana@psico.bo"})
    assert response.status_code == 200
    assert response.context["cl"].result_count == 2
    reminder = Reminder.objects.filter(recipient=patient).first()
    change = reverse("admin:psico_notifications_reminder_change", args=[reminder.pk])
    assert client.get(change).status_code == 200
    assert client.post(change, {"status": ReminderStatus.SENT}).status_code == 403
    assert client.get(reverse("admin:psico_notifications_reminder_add")).status_code == 403
    reminder.refresh_from_db()
    assert reminder.status == ReminderStatus.PENDING


def test_two_workers_at_once_send_each_reminder_exactly_once(smtp_server, settings):
    if connection.vendor != "postgresql":
        if os.environ.get("PSICO_REQUIRE_SERVICES") == "1":
            pytest.fail(f"PSICO_REQUIRE_SERVICES=1 but the database is {connection.vendor}.")
        pytest.skip("Worker processes need a database other processes can open (PostgreSQL).")
    professionals = ProfessionalFactory.create_batch(3, language="en")
    patients = PatientFactory.create_batch(4, language="en")
    for professional in professionals:
        weekly_schedule_for(professional)
    now = timezone.now()
    monday = timezone.localdate() + dt.timedelta(days=7 - timezone.localdate().weekday())
    # Booked ten days ago, with one offset that puts every reminder's moment a little before
    # now: the workers, at the real time, find them all due.
    with time_machine.travel(now - dt.timedelta(days=10), tick=True):
        appointments = [
            _book(patient, professional, monday + dt.timedelta(days=day), 8 + hour)
            for day, professional in enumerate(professionals)
            for hour, patient in enumerate(patients)
        ]
        latest = max(appointment.start for appointment in appointments)
        offset = math.ceil((latest - now).total_seconds() / 60) + 1
        settings.PSICO_NOTIFICATIONS = {"REMINDER_OFFSETS_MINUTES": [offset]}
        relay_appointment_events.call()
    expected = 2 * len(appointments)
    assert Reminder.objects.count() == expected
    assert all(
        result.run_after <= timezone.now()
        for result in DBTaskResult.objects.filter(task_path=REMIND)
    )

    processes = [
        worker.start_worker(
            package_dir=PACKAGE_DIR, smtp_port=smtp_server.port, forward=["PSICO_NOTIFICATIONS"]
        )
        for _ in range(2)
    ]
    for process in processes:
        worker.wait_for_worker(process)

    assert Reminder.objects.filter(status=ReminderStatus.SENT, attempts=1).count() == expected
    received = [(message["To"], message["Subject"]) for message in _reminders(smtp_server)]
    assert len(received) == expected
    assert len(set(received)) == expected


def test_reminder_moments_skip_what_had_passed():
    start = dt.datetime(2030, 1, 7, 14, tzinfo=dt.UTC)

    moments = reminder_moments(
        start=start, happened_at=start - dt.timedelta(hours=3), offsets=[DAY, TWO_HOURS, 180]
    )

    assert moments == [(TWO_HOURS, start - dt.timedelta(hours=2))]


@pytest.mark.parametrize(
    "offsets",
    [[0], [-5], [120, 120], ["1440"], [1.5], [True], "1440,120", None],
)
def test_bad_reminder_offsets_fail_the_settings_check(settings, offsets):
    settings.PSICO_NOTIFICATIONS = {"REMINDER_OFFSETS_MINUTES": offsets}

    errors = check_settings(None)

    assert [error.id for error in errors if isinstance(error, Error)] == [
        "psico_notifications.E005"
    ]


@pytest.mark.parametrize("offsets", [[], [15], (1440, 120, 30)])
def test_good_reminder_offsets_pass_the_settings_check(settings, offsets):
    settings.PSICO_NOTIFICATIONS = {"REMINDER_OFFSETS_MINUTES": offsets}

    assert check_settings(None) == []
