"""The database itself refuses double bookings, even without the services."""

import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction
from psico_scheduling.models import Appointment
from psico_scheduling.testing.factories import AppointmentFactory

pytestmark = pytest.mark.django_db

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="exclusion constraints need PostgreSQL"
)


def test_one_active_appointment_per_professional_and_start(appointment):
    with pytest.raises(IntegrityError), transaction.atomic():
        AppointmentFactory(psychologist=appointment.psychologist, start=appointment.start)


def test_a_cancelled_appointment_frees_its_start(appointment):
    appointment.status = "cancelled"
    appointment.save()
    again = AppointmentFactory(psychologist=appointment.psychologist, start=appointment.start)
    assert again.pk


def test_an_appointment_ends_after_it_starts(appointment):
    with pytest.raises(IntegrityError), transaction.atomic():
        AppointmentFactory(start=appointment.start, end=appointment.start)


def raw_insert(*, patient_id, psychologist_id, start, end, status="pending"):
    table = Appointment._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f'INSERT INTO {table} (patient_id, psychologist_id, start, "end", status, reason,'
            " cancellation_reason, is_late_cancellation, created_at, updated_at)"
            " VALUES (%s, %s, %s, %s, %s, '', '', false, now(), now())",
            [patient_id, psychologist_id, start, end, status],
        )


@on_postgresql
def test_overlapping_active_appointments_are_impossible_in_sql(appointment):
    half_past = appointment.start + dt.timedelta(minutes=30)
    with pytest.raises(IntegrityError), transaction.atomic():
        raw_insert(
            patient_id=appointment.patient_id,
            psychologist_id=appointment.psychologist_id,
            start=half_past,
            end=half_past + dt.timedelta(hours=1),
        )
    # Back to back is fine, and so is an overlapping cancelled one.
    raw_insert(
        patient_id=appointment.patient_id,
        psychologist_id=appointment.psychologist_id,
        start=appointment.end,
        end=appointment.end + dt.timedelta(hours=1),
    )
    raw_insert(
        patient_id=appointment.patient_id,
        psychologist_id=appointment.psychologist_id,
        start=half_past,
        end=half_past + dt.timedelta(hours=1),
        status="cancelled",
    )
    assert Appointment.objects.filter(psychologist=appointment.psychologist).count() == 3


@on_postgresql
def test_the_exclusion_constraint_exists():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT contype FROM pg_constraint WHERE conname = %s",
            ["psico_scheduling_no_overlapping_appointments"],
        )
        assert cursor.fetchone() == ("x",)
