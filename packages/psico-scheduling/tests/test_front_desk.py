"""The front desk and who may book whom: a clinic admin books for a patient, the professional's
``accepting_new_patients`` and ``is_public`` flags decide who gets in, and only the
appointment's professional (and the front desk) sees the patient's contact details."""

import datetime as dt
import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from psico_accounts.testing.factories import PatientFactory, ProfessionalFactory
from psico_scheduling import services
from psico_scheduling.models import Appointment, AppointmentEvent, AppointmentStatus
from psico_scheduling.testing.factories import AppointmentFactory, weekly_schedule_for

from .conftest import APPOINTMENTS, SEARCH, appointment_url, messages

pytestmark = pytest.mark.django_db

NOT_ACCEPTING = {
    "en": "This professional is not taking new patients; only their current patients can book.",
    "es": (
        "Este profesional no está recibiendo pacientes nuevos; solo sus pacientes actuales"
        " pueden reservar."
    ),
}
NOT_PUBLIC = {
    "en": "This professional is booked through the clinic; please contact the front desk.",
    "es": "Este profesional se reserva a través de la clínica; comuníquese con la recepción.",
}


def _professional(**profile):
    user = ProfessionalFactory(
        **{f"professional_profile__{name}": value for name, value in profile.items()}
    )
    weekly_schedule_for(user)
    return user


# -- the front desk books for a patient ----------------------------------------------------


def test_the_front_desk_books_for_a_patient(
    clinic_admin, patient, professional, weekly_schedule, next_monday, post_booking
):
    response = post_booking(
        clinic_admin, professional, next_monday, "09:00", patient=patient.pk, reason="Llamó"
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["patient"]["id"] == patient.pk
    assert body["status"] == "pending"
    # The front desk sees how to reach the patient it booked for.
    assert body["patient_contact"] == {"email": patient.email, "phone": patient.phone}
    stored = Appointment.objects.get(pk=body["id"])
    assert (stored.patient_id, stored.psychologist_id) == (patient.pk, professional.pk)
    event = AppointmentEvent.objects.get(appointment=stored)
    assert (event.name, event.actor_id) == ("appointment.booked", clinic_admin.pk)


def test_the_front_desk_goes_through_the_same_rules(
    clinic_admin, patient, professional, weekly_schedule, next_monday, post_booking
):
    AppointmentFactory(
        patient=PatientFactory(),
        psychologist=professional,
        start=dt.datetime.combine(next_monday, dt.time(13), tzinfo=dt.UTC),
        end=dt.datetime.combine(next_monday, dt.time(14), tzinfo=dt.UTC),
    )
    taken = post_booking(
        clinic_admin, professional, next_monday, "09:00", patient=patient.pk, language="en"
    )
    assert messages(taken) == ["The professional already has an appointment at that time."]
    past = post_booking(
        clinic_admin,
        professional,
        next_monday - dt.timedelta(days=14),
        "10:00",
        patient=patient.pk,
        language="en",
    )
    assert messages(past) == ["You cannot book an appointment in the past."]
    assert not Appointment.objects.filter(patient=patient).exists()


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            None,
            "Solo los administradores de la clínica pueden reservar para un paciente; omita"
            " este campo para reservar para usted.",
        ),
        (
            "en",
            "Only clinic administrators can book for a patient; leave this field out to book"
            " for yourself.",
        ),
    ],
)
@pytest.mark.parametrize("whom", ["other", "self", "junk"])
def test_a_patient_naming_a_patient_gets_a_400(
    patient, professional, weekly_schedule, next_monday, post_booking, language, expected, whom
):
    named = {"other": PatientFactory().pk, "self": patient.pk, "junk": "x" * 20_000}[whom]
    response = post_booking(
        patient, professional, next_monday, "09:00", patient=named, language=language
    )
    assert messages(response, "patient") == [expected]
    assert not Appointment.objects.exists()


def test_a_professional_naming_a_patient_is_refused_as_a_professional(
    patient, professional, weekly_schedule, next_monday, post_booking
):
    # A professional never books (403, the role's answer) before any field is read.
    response = post_booking(professional, professional, next_monday, "09:00", patient=patient.pk)
    assert response.status_code == 403
    assert not Appointment.objects.exists()


@pytest.mark.parametrize(
    "value",
    [
        "abc",
        "12",
        "١٢",
        "x" * 20_000,
        " ".join(["palabra"] * 5_000),
        10**30,
        -1,
        0,
        999_999_999_999_999_999,
        1.5,
        True,
        None,
        [],
        {"id": 1},
        [[[[{"id": 1}]]]],
    ],
    ids=repr,
)
def test_hostile_patient_values_from_the_front_desk_are_400(
    clinic_admin, professional, weekly_schedule, next_monday, post_booking, value
):
    response = post_booking(clinic_admin, professional, next_monday, "09:00", patient=value)
    assert response.status_code == 400, response.content
    assert "patient" in response.json()
    assert not Appointment.objects.exists()


@pytest.mark.parametrize("whom", ["unknown", "professional", "admin", "inactive_patient"])
def test_the_front_desk_only_books_for_an_active_patient(
    clinic_admin, professional, weekly_schedule, next_monday, post_booking, whom
):
    named = {
        "unknown": lambda: 987_654_321,
        "professional": lambda: professional.pk,
        "admin": lambda: clinic_admin.pk,
        "inactive_patient": lambda: PatientFactory(is_active=False).pk,
    }[whom]()
    response = post_booking(
        clinic_admin, professional, next_monday, "09:00", patient=named, language="en"
    )
    assert messages(response, "patient") == ["Choose an active patient's account."]
    assert not Appointment.objects.exists()


def test_a_lone_surrogate_for_patient_is_a_400(
    clinic_admin, api_client_for, professional, weekly_schedule, next_monday
):
    body = json.dumps(
        {
            "psychologist": professional.pk,
            "appointment_date": next_monday.isoformat(),
            "start_time": "09:00",
            "patient": "\ud800",
        }
    )
    assert "\\ud800" in body  # sent as the JSON escape of a lone surrogate
    response = api_client_for(clinic_admin).post(
        APPOINTMENTS, body, content_type="application/json"
    )
    assert response.status_code == 400
    assert not Appointment.objects.exists()


def test_the_service_refuses_booking_for_someone_else_unless_front_desk(
    patient, professional, weekly_schedule, next_monday
):
    other = PatientFactory()
    with pytest.raises(PermissionDenied):
        services.appointment_book(
            patient=patient,
            psychologist=professional,
            date=next_monday,
            start_time=dt.time(9),
            by=other,
        )
    with pytest.raises(PermissionDenied):
        services.appointment_book(
            patient=patient,
            psychologist=professional,
            date=next_monday,
            start_time=dt.time(9),
            by=professional,
        )
    assert not Appointment.objects.exists()


def test_the_service_refuses_the_front_desk_booking_a_non_patient(
    clinic_admin, professional, weekly_schedule, next_monday
):
    with pytest.raises(ValidationError) as refused:
        services.appointment_book(
            patient=ProfessionalFactory(),
            psychologist=professional,
            date=next_monday,
            start_time=dt.time(9),
            by=clinic_admin,
        )
    assert "patient" in refused.value.message_dict
    assert not Appointment.objects.exists()


# -- accepting_new_patients ----------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_new_patient_cannot_book_a_professional_not_accepting(
    patient, next_monday, post_booking, language
):
    closed = _professional(accepting_new_patients=False)
    response = post_booking(patient, closed, next_monday, "09:00", language=language)
    assert messages(response, "psychologist") == [NOT_ACCEPTING[language]]
    assert not Appointment.objects.exists()


@pytest.mark.parametrize(
    "history", [{"past": True}, {"status": AppointmentStatus.PENDING}, {"status": "no_show"}]
)
def test_a_current_patient_books_a_professional_not_accepting(
    patient, next_monday, post_booking, history
):
    closed = _professional(accepting_new_patients=False)
    AppointmentFactory(patient=patient, psychologist=closed, **history)
    response = post_booking(patient, closed, next_monday, "09:00")
    assert response.status_code == 201, response.content


def test_only_a_cancelled_appointment_does_not_make_a_current_patient(
    patient, next_monday, post_booking
):
    closed = _professional(accepting_new_patients=False)
    AppointmentFactory(patient=patient, psychologist=closed, cancelled=True)
    response = post_booking(patient, closed, next_monday, "09:00", language="en")
    assert messages(response, "psychologist") == [NOT_ACCEPTING["en"]]


def test_the_front_desk_books_only_current_patients_of_a_professional_not_accepting(
    clinic_admin, patient, next_monday, post_booking
):
    # The flag is the professional's caseload: it holds whoever books.
    closed = _professional(accepting_new_patients=False)
    new = post_booking(
        clinic_admin, closed, next_monday, "09:00", patient=patient.pk, language="en"
    )
    assert messages(new, "psychologist") == [NOT_ACCEPTING["en"]]
    current = PatientFactory()
    AppointmentFactory(patient=current, psychologist=closed, past=True)
    booked = post_booking(clinic_admin, closed, next_monday, "09:00", patient=current.pk)
    assert booked.status_code == 201, booked.content


def test_search_and_directory_say_whether_a_professional_accepts(api_client_for, next_monday):
    closed = _professional(accepting_new_patients=False)
    open_ = _professional()
    client = api_client_for(None)
    found = client.get(SEARCH, {"date": next_monday.isoformat()}).json()["results"]
    assert {r["id"]: r["accepting_new_patients"] for r in found} == {
        closed.pk: False,
        open_.pk: True,
    }
    listed = client.get("/api/professionals/").json()["results"]
    assert {r["id"]: r["accepting_new_patients"] for r in listed} == {
        closed.pk: False,
        open_.pk: True,
    }
    assert client.get(f"/api/professionals/{closed.pk}/").json()["accepting_new_patients"] is False


# -- is_public -----------------------------------------------------------------------------


def test_a_hidden_professional_is_not_in_the_directory_nor_in_search(api_client_for, next_monday):
    hidden = _professional(is_public=False)
    shown = _professional()
    client = api_client_for(None)
    found = client.get(SEARCH, {"date": next_monday.isoformat()}).json()["results"]
    assert [r["id"] for r in found] == [shown.pk]
    listed = client.get("/api/professionals/").json()["results"]
    assert [r["id"] for r in listed] == [shown.pk]
    assert client.get(f"/api/professionals/{hidden.pk}/").status_code == 404


def test_a_hidden_professional_is_bookable_by_a_current_patient(patient, next_monday, post_booking):
    hidden = _professional(is_public=False)
    AppointmentFactory(patient=patient, psychologist=hidden, past=True)
    response = post_booking(patient, hidden, next_monday, "09:00")
    assert response.status_code == 201, response.content


def test_a_hidden_professional_is_bookable_by_the_front_desk_for_anyone(
    clinic_admin, patient, next_monday, post_booking
):
    hidden = _professional(is_public=False)
    response = post_booking(clinic_admin, hidden, next_monday, "09:00", patient=patient.pk)
    assert response.status_code == 201, response.content


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_new_patient_alone_cannot_book_a_hidden_professional(
    patient, next_monday, post_booking, language
):
    hidden = _professional(is_public=False)
    response = post_booking(patient, hidden, next_monday, "09:00", language=language)
    assert messages(response, "psychologist") == [NOT_PUBLIC[language]]
    assert not Appointment.objects.exists()


# -- patient_contact -----------------------------------------------------------------------


def test_the_professional_sees_the_patients_contact_on_their_appointments(
    patient, professional, api_client_for
):
    appointment = AppointmentFactory(patient=patient, psychologist=professional)
    client = api_client_for(professional)
    contact = {"email": patient.email, "phone": patient.phone}
    assert client.get(appointment_url(appointment.pk)).json()["patient_contact"] == contact
    listed = client.get(APPOINTMENTS).json()["results"]
    assert [a["patient_contact"] for a in listed] == [contact]


def test_the_patient_never_gets_a_patient_contact(patient, professional, api_client_for):
    appointment = AppointmentFactory(patient=patient, psychologist=professional)
    client = api_client_for(patient)
    assert "patient_contact" not in client.get(appointment_url(appointment.pk)).json()
    assert all("patient_contact" not in a for a in client.get(APPOINTMENTS).json()["results"])
    cancelled = client.post(
        appointment_url(appointment.pk, "cancel"), {"reason": "Viaje"}, format="json"
    )
    assert cancelled.status_code == 200
    assert "patient_contact" not in cancelled.json()


def test_a_professional_sees_contacts_only_on_their_own_appointments(professional, api_client_for):
    # The front desk sees every appointment; each professional only the patients of theirs.
    own = AppointmentFactory(psychologist=professional)
    AppointmentFactory()
    listed = api_client_for(professional).get(APPOINTMENTS).json()["results"]
    assert [(a["id"], a["patient_contact"]["email"]) for a in listed] == [
        (own.pk, own.patient.email)
    ]


def test_the_list_with_contacts_costs_the_same_queries(
    professional, clinic_admin, api_client_for, django_assert_num_queries
):
    AppointmentFactory.create_batch(2, psychologist=professional)
    professional_client = api_client_for(professional)
    admin_client = api_client_for(clinic_admin)
    # token, count, page
    with django_assert_num_queries(3):
        body = professional_client.get(APPOINTMENTS).json()
    assert all("patient_contact" in a for a in body["results"])
    AppointmentFactory.create_batch(8, psychologist=professional)
    AppointmentFactory.create_batch(3)
    with django_assert_num_queries(3):
        body = professional_client.get(APPOINTMENTS).json()
    assert len(body["results"]) == 10
    assert all(a["patient_contact"]["phone"] for a in body["results"])
    with django_assert_num_queries(3):
        body = admin_client.get(APPOINTMENTS).json()
    assert body["count"] == 13
    assert all("patient_contact" in a for a in body["results"])


def test_the_schema_documents_patient_contact_as_optional():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    appointment = schema["components"]["schemas"]["Appointment"]
    assert "patient_contact" in appointment["properties"]
    assert "patient_contact" not in appointment["required"]
    assert "id" in appointment["required"]
    contact = json.dumps(appointment["properties"]["patient_contact"])
    assert "PatientContact" in contact
