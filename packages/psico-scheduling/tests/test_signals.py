"""``appointment_changed``: one signal per lifecycle change, after commit, never failing it."""

import datetime as dt
import logging

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from psico_scheduling import services
from psico_scheduling.models import Appointment, AppointmentStatus
from psico_scheduling.signals import appointment_changed
from psico_scheduling.testing.factories import AppointmentFactory

from .conftest import appointment_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def received():
    """Every ``appointment_changed`` sent during the test: (event, appointment id, status, by)."""
    calls = []

    def receiver(sender, *, appointment, event, by, **kwargs):
        assert sender is Appointment
        calls.append((event, appointment.pk, appointment.status, by.pk))

    appointment_changed.connect(receiver, dispatch_uid="test_signals.received")
    yield calls
    appointment_changed.disconnect(dispatch_uid="test_signals.received")


@pytest.fixture
def booked(patient, professional, weekly_schedule, next_monday, book):
    return book(patient, professional, next_monday, "10:00")


@pytest.fixture
def started(patient, professional):
    start = (timezone.now() - dt.timedelta(hours=2)).replace(microsecond=0)
    return AppointmentFactory(
        patient=patient, psychologist=professional, start=start, end=start + dt.timedelta(hours=1)
    )


def test_booking_announces_after_commit(patient, book_before_commit, received):
    appointment, callbacks = book_before_commit("10:00")
    # Nothing before the commit; once it commits, exactly one announcement.
    assert received == []
    for callback in callbacks:
        callback()
    assert received == [("appointment.booked", appointment.pk, "pending", patient.pk)]


@pytest.mark.parametrize(
    ("action", "event", "status"),
    [
        ("confirm", "appointment.confirmed", AppointmentStatus.CONFIRMED),
        ("cancel", "appointment.cancelled", AppointmentStatus.CANCELLED),
    ],
)
def test_each_transition_through_the_api_announces_once(
    professional,
    booked,
    api_client_for,
    received,
    django_capture_on_commit_callbacks,
    action,
    event,
    status,
):
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client_for(professional).post(
            appointment_url(booked.pk, action), {"reason": "Enfermedad"}
        )
    assert response.status_code == 200, response.content
    assert received == [(event, booked.pk, status, professional.pk)]


@pytest.mark.parametrize(
    ("service", "event", "status"),
    [
        (services.appointment_complete, "appointment.completed", AppointmentStatus.COMPLETED),
        (services.appointment_mark_no_show, "appointment.no_show", AppointmentStatus.NO_SHOW),
    ],
)
def test_closing_announces(
    professional, started, received, django_capture_on_commit_callbacks, service, event, status
):
    with django_capture_on_commit_callbacks(execute=True):
        service(appointment=started, by=professional)
    assert received == [(event, started.pk, status, professional.pk)]


def test_rescheduling_announces_but_editing_the_reason_does_not(
    patient, booked, next_monday, received, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.appointment_update(appointment=booked, by=patient, reason="Otro motivo")
    assert received == []

    with django_capture_on_commit_callbacks(execute=True):
        services.appointment_update(appointment=booked, by=patient, start_time=dt.time(11))
    assert received == [("appointment.rescheduled", booked.pk, "pending", patient.pk)]


def test_a_refused_transition_announces_nothing(
    professional, started, received, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        # Refused inside the transaction: the appointment has already started.
        with pytest.raises(ValidationError):
            services.appointment_confirm(appointment=started, by=professional)
    assert callbacks == []
    assert received == []


def test_a_rolled_back_transition_announces_nothing(
    professional, booked, received, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                services.appointment_confirm(appointment=booked, by=professional)
                raise RuntimeError("roll back")
        except RuntimeError:
            pass
    assert callbacks == []
    assert received == []


def test_a_failing_receiver_never_fails_the_change(
    professional, booked, api_client_for, received, django_capture_on_commit_callbacks, caplog
):
    def broken(sender, **kwargs):
        raise RuntimeError("receiver is broken")

    appointment_changed.connect(broken, dispatch_uid="test_signals.broken")
    try:
        with caplog.at_level(logging.ERROR, logger="psico_scheduling.signals"):
            with django_capture_on_commit_callbacks(execute=True):
                response = api_client_for(professional).post(appointment_url(booked.pk, "confirm"))
    finally:
        appointment_changed.disconnect(dispatch_uid="test_signals.broken")
    assert response.status_code == 200
    booked.refresh_from_db()
    assert booked.status == AppointmentStatus.CONFIRMED
    # The other receivers still ran, and the failure is logged with its traceback.
    assert received == [("appointment.confirmed", booked.pk, "confirmed", professional.pk)]
    [record] = [r for r in caplog.records if r.name == "psico_scheduling.signals"]
    assert "appointment.confirmed" in record.getMessage()
    assert record.exc_info is not None
