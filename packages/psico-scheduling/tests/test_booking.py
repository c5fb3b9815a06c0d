"""Booking through HTTP: every rule refuses with its own message, in Spanish and English."""

import datetime as dt

import pytest
from psico_accounts.testing.factories import PatientFactory, ProfessionalFactory
from psico_scheduling.models import Appointment, AppointmentStatus
from psico_scheduling.testing.factories import (
    AppointmentFactory,
    BlockedDateFactory,
    weekly_schedule_for,
)

from .conftest import APPOINTMENTS, messages

pytestmark = pytest.mark.django_db


def test_a_patient_books_a_free_slot(
    patient, professional, weekly_schedule, next_monday, post_booking
):
    response = post_booking(patient, professional, next_monday, "09:00", reason="Ansiedad")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "pending"
    assert body["appointment_date"] == next_monday.isoformat()
    assert (body["start_time"], body["end_time"]) == ("09:00", "10:00")
    assert body["start"] == f"{next_monday.isoformat()}T09:00:00-04:00"
    assert body["psychologist"] == {
        "id": professional.pk,
        "first_name": professional.first_name,
        "last_name": professional.last_name,
    }
    assert body["patient"]["id"] == patient.pk
    assert body["reason"] == "Ansiedad"
    assert body["cancellation_reason"] == ""
    assert body["cancelled_by"] is None
    assert body["is_late_cancellation"] is False
    assert {"id", "created_at", "updated_at"} <= set(body)
    stored = Appointment.objects.get(pk=body["id"])
    assert stored.start == dt.datetime.combine(next_monday, dt.time(13), tzinfo=dt.UTC)
    assert stored.end - stored.start == dt.timedelta(minutes=60)


def test_a_status_sent_at_booking_is_not_applied(
    patient, professional, weekly_schedule, next_monday, post_booking
):
    response = post_booking(patient, professional, next_monday, "09:00", status="confirmed")

    assert response.status_code == 201
    stored = Appointment.objects.get(pk=response.json()["id"])
    assert (stored.status, stored.patient_id) == (AppointmentStatus.PENDING, patient.pk)


def test_a_patient_naming_a_patient_is_refused(
    patient, professional, weekly_schedule, next_monday, post_booking
):
    # Only the front desk books for someone else (tests/test_front_desk.py).
    other = PatientFactory()
    response = post_booking(patient, professional, next_monday, "09:00", patient=other.pk)

    assert response.status_code == 400
    assert set(response.json()) == {"patient"}
    assert not Appointment.objects.exists()


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (None, "No puede reservar una cita en el pasado."),
        ("en", "You cannot book an appointment in the past."),
    ],
)
def test_past(
    patient, professional, weekly_schedule, next_monday, post_booking, language, expected
):
    response = post_booking(
        patient, professional, next_monday - dt.timedelta(days=14), "09:00", language=language
    )
    assert messages(response) == [expected]


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (None, "Las citas deben reservarse con al menos 43200 minutos de anticipación."),
        ("en", "Appointments must be booked at least 43200 minutes in advance."),
    ],
)
def test_too_soon(
    patient, professional, weekly_schedule, next_monday, post_booking, settings, language, expected
):
    settings.PSICO_SCHEDULING = {"MIN_NOTICE_MINUTES": 30 * 24 * 60}
    response = post_booking(patient, professional, next_monday, "09:00", language=language)
    assert messages(response) == [expected]


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (None, "Las citas pueden reservarse como máximo con 90 días de anticipación."),
        ("en", "Appointments can be booked at most 90 days ahead."),
    ],
)
def test_too_far_ahead(
    patient, professional, weekly_schedule, next_monday, post_booking, language, expected
):
    far = next_monday + dt.timedelta(weeks=14)
    response = post_booking(patient, professional, far, "09:00", language=language)
    assert messages(response) == [expected]


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (None, "El usuario seleccionado no es un profesional que atienda citas."),
        ("en", "The selected user is not a professional who takes appointments."),
    ],
)
def test_not_a_professional(patient, next_monday, post_booking, language, expected):
    not_a_professional = PatientFactory()
    weekly_schedule_for(not_a_professional)
    response = post_booking(patient, not_a_professional, next_monday, "09:00", language=language)
    assert messages(response, "psychologist") == [expected]


def test_an_unknown_psychologist_is_a_field_error(patient, next_monday, post_booking):
    response = post_booking(patient, 999999, next_monday, "09:00")
    assert list(response.json()) == ["psychologist"]
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (None, "El profesional no atiende en ese horario."),
        ("en", "The professional does not attend at that time."),
    ],
)
@pytest.mark.parametrize(
    ("day_offset", "start_time"),
    [(0, "07:00"), (0, "17:30"), (0, "18:00"), (5, "09:00")],  # early, no room, end, Saturday
)
def test_outside_weekly_rules(
    patient,
    professional,
    weekly_schedule,
    next_monday,
    post_booking,
    language,
    expected,
    day_offset,
    start_time,
):
    day = next_monday + dt.timedelta(days=day_offset)
    response = post_booking(patient, professional, day, start_time, language=language)
    assert messages(response) == [expected]


def test_an_inactive_rule_offers_nothing(
    patient, professional, weekly_schedule, next_monday, post_booking
):
    weekly_schedule[0].is_active = False
    weekly_schedule[0].save()
    response = post_booking(patient, professional, next_monday, "09:00", language="en")
    assert messages(response) == ["The professional does not attend at that time."]


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (None, "El profesional no está disponible en esa fecha u horario."),
        ("en", "The professional is not available on that date or at that time."),
    ],
)
@pytest.mark.parametrize(("afternoon", "start_time"), [(False, "09:00"), (True, "13:00")])
def test_blocked(
    patient,
    professional,
    weekly_schedule,
    next_monday,
    post_booking,
    language,
    expected,
    afternoon,
    start_time,
):
    # 13:00–14:00 ends inside a 14:00–18:00 block? No: it touches it, so use 13:30 grid-free
    # check below; here the block starts at 13:00 for the ranged case.
    BlockedDateFactory(
        psychologist=professional,
        date=next_monday,
        start_time=dt.time(13) if afternoon else None,
        end_time=dt.time(18) if afternoon else None,
    )
    response = post_booking(patient, professional, next_monday, start_time, language=language)
    assert messages(response) == [expected]


def test_a_slot_next_to_a_blocked_range_stays_bookable(
    patient, professional, weekly_schedule, next_monday, post_booking
):
    BlockedDateFactory(psychologist=professional, date=next_monday, afternoon=True)
    assert post_booking(patient, professional, next_monday, "13:00").status_code == 201


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            None,
            "Las citas comienzan cada 60 minutos desde las 08:00; elija uno de los horarios"
            " ofrecidos.",
        ),
        (
            "en",
            "Appointments start every 60 minutes from 08:00; choose one of the offered times.",
        ),
    ],
)
def test_off_the_slot_grid(
    patient, professional, weekly_schedule, next_monday, post_booking, language, expected
):
    response = post_booking(patient, professional, next_monday, "09:30", language=language)
    assert messages(response) == [expected]


def test_the_grid_follows_slot_step_setting(
    patient, professional, weekly_schedule, next_monday, post_booking, settings
):
    settings.PSICO_SCHEDULING = {"SLOT_STEP_MINUTES": 30}
    assert post_booking(patient, professional, next_monday, "09:30").status_code == 201
    response = post_booking(PatientFactory(), professional, next_monday, "10:15", language="en")
    assert messages(response) == [
        "Appointments start every 30 minutes from 08:00; choose one of the offered times."
    ]


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (None, "El profesional ya tiene una cita en ese horario."),
        ("en", "The professional already has an appointment at that time."),
    ],
)
def test_the_professional_is_busy(
    patient, professional, weekly_schedule, next_monday, post_booking, language, expected
):
    assert post_booking(PatientFactory(), professional, next_monday, "09:00").status_code == 201
    response = post_booking(patient, professional, next_monday, "09:00", language=language)
    assert messages(response) == [expected]


def test_buffers_keep_time_around_appointments(
    patient, professional, weekly_schedule, next_monday, post_booking, settings
):
    settings.PSICO_SCHEDULING = {"BUFFER_MINUTES": 15}
    assert post_booking(PatientFactory(), professional, next_monday, "09:00").status_code == 201
    response = post_booking(patient, professional, next_monday, "10:00", language="en")
    assert messages(response) == ["The professional already has an appointment at that time."]
    assert post_booking(patient, professional, next_monday, "11:00").status_code == 201


def test_an_overlap_with_a_longer_appointment_is_caught(
    patient, professional, weekly_schedule, next_monday, post_booking
):
    start = dt.datetime.combine(
        next_monday, dt.time(9, 0), tzinfo=dt.timezone(-dt.timedelta(hours=4))
    )
    AppointmentFactory(psychologist=professional, start=start, end=start + dt.timedelta(hours=2))
    response = post_booking(patient, professional, next_monday, "10:00", language="en")
    assert messages(response) == ["The professional already has an appointment at that time."]


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (None, "Ya tiene otra cita en ese horario."),
        ("en", "You already have another appointment at that time."),
    ],
)
def test_the_patient_is_busy(
    patient, professional, weekly_schedule, next_monday, post_booking, language, expected
):
    elsewhere = ProfessionalFactory()
    weekly_schedule_for(elsewhere)
    assert post_booking(patient, elsewhere, next_monday, "09:00").status_code == 201
    response = post_booking(patient, professional, next_monday, "09:00", language=language)
    assert messages(response) == [expected]


def test_a_cancelled_slot_is_bookable_again(
    patient, professional, weekly_schedule, next_monday, post_booking, api_client_for
):
    first = post_booking(PatientFactory(), professional, next_monday, "09:00").json()
    cancel = api_client_for(professional).post(
        f"{APPOINTMENTS}{first['id']}/cancel/", {"reason": "Enfermedad"}, format="json"
    )
    assert cancel.status_code == 200
    assert post_booking(patient, professional, next_monday, "09:00").status_code == 201


def test_a_professional_does_not_book(professional, weekly_schedule, next_monday, post_booking):
    response = post_booking(professional, professional, next_monday, "09:00", language="en")
    assert response.status_code == 403
    assert response.json() == {
        "detail": "Only patients, or the clinic for a patient, can book appointments."
    }


def test_the_front_desk_names_the_patient(
    clinic_admin, professional, weekly_schedule, next_monday, post_booking
):
    response = post_booking(clinic_admin, professional, next_monday, "09:00", language="en")
    assert response.status_code == 400
    assert response.json() == {"patient": ["Name the patient this appointment is for."]}


def test_booking_needs_credentials(professional, next_monday, api_client_for):
    response = api_client_for(None).post(
        APPOINTMENTS,
        {
            "psychologist": professional.pk,
            "appointment_date": next_monday.isoformat(),
            "start_time": "09:00",
        },
        format="json",
    )
    assert response.status_code == 401


@pytest.mark.parametrize(
    "payload",
    [
        {"appointment_date": "2030-13-01", "start_time": "09:00"},
        {"appointment_date": "mañana", "start_time": "09:00"},
        {"start_time": "9 en punto"},
        {},
    ],
)
def test_malformed_input_is_a_field_error(
    patient, professional, next_monday, api_client_for, payload
):
    body = {
        "psychologist": professional.pk,
        "appointment_date": next_monday.isoformat(),
        "start_time": "09:00",
        **payload,
    }
    if not payload:
        body = {}
    response = api_client_for(patient).post(APPOINTMENTS, body, format="json")
    assert response.status_code == 400
    assert set(response.json()) <= {"psychologist", "appointment_date", "start_time"}
