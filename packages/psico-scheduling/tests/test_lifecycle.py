"""Confirm, cancel, complete, no-show and reschedule: who may do each, and when."""

import datetime as dt

import pytest
from django.utils import timezone
from psico_accounts.testing.factories import PatientFactory, ProfessionalFactory
from psico_scheduling.models import AppointmentStatus
from psico_scheduling.testing.factories import AppointmentFactory, BlockedDateFactory

from .conftest import APPOINTMENTS, appointment_url, messages

pytestmark = pytest.mark.django_db


def in_hours(hours: float) -> dt.datetime:
    return (timezone.now() + dt.timedelta(hours=hours)).replace(second=0, microsecond=0)


@pytest.fixture
def past_appointment(patient, professional):
    start = in_hours(-2)
    return AppointmentFactory(
        patient=patient, psychologist=professional, start=start, end=start + dt.timedelta(hours=1)
    )


@pytest.fixture
def booked(patient, professional, weekly_schedule, next_monday, book):
    return book(patient, professional, next_monday, "10:00")


def test_the_professional_confirms(professional, booked, api_client_for):
    response = api_client_for(professional).post(appointment_url(booked.pk, "confirm"))
    assert response.status_code == 200
    assert response.json()["status"] == "confirmed"
    booked.refresh_from_db()
    assert booked.status == AppointmentStatus.CONFIRMED


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (None, "Solo el profesional de la cita puede hacer esto."),
        ("en", "Only the appointment's professional can do this."),
    ],
)
@pytest.mark.parametrize("action", ["confirm", "complete", "no-show"])
def test_a_patient_cannot_act_as_the_professional(
    patient, booked, api_client_for, action, language, expected
):
    response = api_client_for(patient, language=language).post(appointment_url(booked.pk, action))
    assert response.status_code == 403
    assert response.json() == {"detail": expected}
    booked.refresh_from_db()
    assert booked.status == AppointmentStatus.PENDING


@pytest.mark.parametrize("action", ["confirm", "cancel", "complete", "no-show", None])
def test_strangers_get_404(booked, api_client_for, action):
    for stranger in (PatientFactory(), ProfessionalFactory()):
        client = api_client_for(stranger)
        if action is None:
            assert client.get(appointment_url(booked.pk)).status_code == 404
            response = client.patch(appointment_url(booked.pk), {"reason": "x"}, format="json")
        else:
            response = client.post(appointment_url(booked.pk, action), {"reason": "x"})
        assert response.status_code == 404


def test_anonymous_gets_401(booked, api_client_for):
    assert api_client_for(None).get(APPOINTMENTS).status_code == 401
    assert api_client_for(None).post(appointment_url(booked.pk, "confirm")).status_code == 401


def test_there_is_no_delete(patient, booked, api_client_for):
    assert api_client_for(patient).delete(appointment_url(booked.pk)).status_code == 405
    assert api_client_for(patient).put(appointment_url(booked.pk), {}).status_code == 405


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (None, "Solo se puede confirmar una cita pendiente."),
        ("en", "Only a pending appointment can be confirmed."),
    ],
)
def test_only_pending_can_be_confirmed(professional, booked, api_client_for, language, expected):
    client = api_client_for(professional, language=language)
    assert client.post(appointment_url(booked.pk, "confirm")).status_code == 200
    assert messages(client.post(appointment_url(booked.pk, "confirm"))) == [expected]


@pytest.mark.parametrize(
    ("language", "expected"),
    [(None, "Esta cita ya comenzó."), ("en", "This appointment has already started.")],
)
def test_a_started_appointment_cannot_be_confirmed(
    professional, past_appointment, api_client_for, language, expected
):
    response = api_client_for(professional, language=language).post(
        appointment_url(past_appointment.pk, "confirm")
    )
    assert messages(response) == [expected]


@pytest.mark.parametrize("who", ["patient", "professional"])
def test_either_participant_cancels_with_a_reason(request, booked, api_client_for, who):
    user = request.getfixturevalue(who)
    response = api_client_for(user).post(
        appointment_url(booked.pk, "cancel"), {"reason": "Viaje de trabajo"}, format="json"
    )
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "cancelled"
    assert body["cancellation_reason"] == "Viaje de trabajo"
    assert body["cancelled_by"] == user.pk
    assert body["cancelled_at"] is not None
    assert body["is_late_cancellation"] is False


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (None, "Indique el motivo de la cancelación."),
        ("en", "Please give a reason for the cancellation."),
    ],
)
def test_a_cancellation_needs_a_reason(patient, booked, api_client_for, language, expected):
    client = api_client_for(patient, language=language)
    response = client.post(appointment_url(booked.pk, "cancel"), {"reason": "   "}, format="json")
    assert messages(response, "reason") == [expected]
    assert messages(client.post(appointment_url(booked.pk, "cancel")), "reason") == [expected]
    booked.refresh_from_db()
    assert booked.status == AppointmentStatus.PENDING


def test_a_cancellation_inside_the_window_is_late(patient, professional, api_client_for):
    soon = AppointmentFactory(
        patient=patient, psychologist=professional, start=in_hours(3), end=in_hours(4)
    )
    response = api_client_for(patient).post(
        appointment_url(soon.pk, "cancel"), {"reason": "Enfermedad"}, format="json"
    )
    assert response.json()["is_late_cancellation"] is True


def test_the_window_follows_the_setting(patient, professional, api_client_for, settings):
    settings.PSICO_SCHEDULING = {"CANCELLATION_WINDOW_HOURS": 2}
    soon = AppointmentFactory(
        patient=patient, psychologist=professional, start=in_hours(3), end=in_hours(4)
    )
    response = api_client_for(patient).post(
        appointment_url(soon.pk, "cancel"), {"reason": "Enfermedad"}, format="json"
    )
    assert response.json()["is_late_cancellation"] is False


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (None, "Solo se puede cancelar una cita pendiente o confirmada."),
        ("en", "Only a pending or confirmed appointment can be cancelled."),
    ],
)
def test_only_open_appointments_can_be_cancelled(
    patient, booked, api_client_for, language, expected
):
    client = api_client_for(patient, language=language)
    url = appointment_url(booked.pk, "cancel")
    assert client.post(url, {"reason": "Viaje"}, format="json").status_code == 200
    assert messages(client.post(url, {"reason": "Otra vez"}, format="json")) == [expected]


@pytest.mark.parametrize(("action", "status"), [("complete", "completed"), ("no-show", "no_show")])
def test_the_professional_closes_after_the_start(
    professional, past_appointment, api_client_for, action, status
):
    response = api_client_for(professional).post(appointment_url(past_appointment.pk, action))
    assert response.status_code == 200
    assert response.json()["status"] == status


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (None, "Una cita solo puede marcarse después de su hora de inicio."),
        ("en", "An appointment can only be marked after its start time."),
    ],
)
@pytest.mark.parametrize("action", ["complete", "no-show"])
def test_not_before_the_start(professional, booked, api_client_for, action, language, expected):
    response = api_client_for(professional, language=language).post(
        appointment_url(booked.pk, action)
    )
    assert messages(response) == [expected]


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            None,
            "Solo una cita pendiente o confirmada puede marcarse como realizada o como"
            " inasistencia.",
        ),
        ("en", "Only a pending or confirmed appointment can be marked as completed or no-show."),
    ],
)
def test_a_closed_appointment_stays_closed(
    professional, past_appointment, api_client_for, language, expected
):
    client = api_client_for(professional, language=language)
    assert client.post(appointment_url(past_appointment.pk, "complete")).status_code == 200
    assert messages(client.post(appointment_url(past_appointment.pk, "no-show"))) == [expected]


def test_an_admin_sees_all_and_acts_for_the_clinic(clinic_admin, booked, api_client_for):
    client = api_client_for(clinic_admin)
    assert client.get(appointment_url(booked.pk)).status_code == 200
    assert client.post(appointment_url(booked.pk, "confirm")).json()["status"] == "confirmed"


# -- rescheduling and editing ------------------------------------------------------------------


@pytest.mark.parametrize("who", ["patient", "professional"])
def test_rescheduling_revalidates_and_resets_to_pending(
    request, booked, next_monday, api_client_for, professional, who
):
    api_client_for(professional).post(appointment_url(booked.pk, "confirm"))
    tuesday = next_monday + dt.timedelta(days=1)
    response = api_client_for(request.getfixturevalue(who)).patch(
        appointment_url(booked.pk),
        {"appointment_date": tuesday.isoformat(), "start_time": "15:00"},
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["appointment_date"], body["start_time"], body["end_time"]) == (
        tuesday.isoformat(),
        "15:00",
        "16:00",
    )
    assert body["status"] == "pending"


def test_moving_only_the_time_keeps_the_date(patient, booked, next_monday, api_client_for):
    response = api_client_for(patient).patch(
        appointment_url(booked.pk), {"start_time": "11:00"}, format="json"
    )
    assert (response.json()["appointment_date"], response.json()["start_time"]) == (
        next_monday.isoformat(),
        "11:00",
    )


def test_moving_within_its_own_time_is_not_an_overlap_with_itself(patient, booked, api_client_for):
    response = api_client_for(patient).patch(
        appointment_url(booked.pk), {"start_time": "10:00"}, format="json"
    )
    assert response.status_code == 200


def test_rescheduling_applies_every_booking_rule(
    patient, professional, booked, next_monday, api_client_for, book
):
    client = api_client_for(patient, language="en")
    url = appointment_url(booked.pk)
    book(PatientFactory(), professional, next_monday, "11:00")
    BlockedDateFactory(psychologist=professional, date=next_monday, afternoon=True)
    cases = {
        "07:00": "The professional does not attend at that time.",
        "11:00": "The professional already has an appointment at that time.",
        "15:00": "The professional is not available on that date or at that time.",
        "10:30": "Appointments start every 60 minutes from 08:00; choose one of the offered times.",
    }
    for start_time, expected in cases.items():
        response = client.patch(url, {"start_time": start_time}, format="json")
        assert messages(response) == [expected], start_time
    past = client.patch(
        url,
        {"appointment_date": (next_monday - dt.timedelta(days=14)).isoformat()},
        format="json",
    )
    assert messages(past) == ["You cannot book an appointment in the past."]
    booked.refresh_from_db()
    assert booked.start.astimezone(dt.timezone(dt.timedelta(hours=-4))).hour == 10


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (None, "Solo se puede modificar una cita pendiente o confirmada que aún no comenzó."),
        ("en", "Only a pending or confirmed appointment that has not started can be changed."),
    ],
)
def test_closed_or_started_appointments_cannot_be_rescheduled(
    patient, booked, past_appointment, api_client_for, language, expected
):
    client = api_client_for(patient, language=language)
    client.post(appointment_url(booked.pk, "cancel"), {"reason": "Viaje"}, format="json")
    for appointment in (booked, past_appointment):
        response = client.patch(
            appointment_url(appointment.pk), {"start_time": "15:00"}, format="json"
        )
        assert messages(response) == [expected]


def test_the_patient_edits_the_reason(patient, booked, api_client_for):
    response = api_client_for(patient).patch(
        appointment_url(booked.pk), {"reason": "Seguimiento"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["reason"] == "Seguimiento"
    assert response.json()["status"] == "pending"


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (None, "Solo el paciente puede cambiar el motivo de la cita."),
        ("en", "Only the patient can change the reason for the appointment."),
    ],
)
def test_the_professional_cannot_edit_the_reason(
    professional, booked, api_client_for, language, expected
):
    response = api_client_for(professional, language=language).patch(
        appointment_url(booked.pk), {"reason": "Otro"}, format="json"
    )
    assert response.status_code == 403
    assert response.json() == {"detail": expected}


@pytest.mark.parametrize(
    "field_value",
    [("status", "confirmed"), ("psychologist", 1), ("patient", 1), ("is_late_cancellation", True)],
)
def test_privileged_fields_are_refused_and_never_applied(
    patient, booked, api_client_for, field_value
):
    field, value = field_value
    response = api_client_for(patient, language="en").patch(
        appointment_url(booked.pk), {field: value, "reason": "Nuevo"}, format="json"
    )
    assert messages(response, field) == [
        "This field cannot be changed here; use the appointment's actions."
    ]
    booked.refresh_from_db()
    assert (booked.status, booked.reason) == (AppointmentStatus.PENDING, booked.reason)
    assert booked.reason != "Nuevo"
