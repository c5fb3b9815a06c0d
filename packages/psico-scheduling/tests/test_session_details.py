"""Session details: modality, place, payment status and fee of an appointment.

Set at booking from the professional's profile, changed by the professional (or a clinic
admin) through PATCH, refused from the patient, and shown to the participants only.
"""

import datetime as dt
import importlib
from decimal import Decimal

import pytest
from django.apps import apps
from django.utils import timezone
from psico_accounts.testing.factories import PatientFactory, ProfessionalFactory
from psico_scheduling import services
from psico_scheduling.models import Appointment, AppointmentStatus, PaymentStatus
from psico_scheduling.testing.factories import AppointmentFactory

from .conftest import APPOINTMENTS, AVAILABLE_SLOTS, SEARCH, appointment_url

pytestmark = pytest.mark.django_db

DETAILS = ("modality", "location", "meeting_url", "payment_status", "fee")
MEET = "https://meet.example.com/psico-42"


def patch(client, appointment, body):
    return client.patch(appointment_url(appointment.pk), body, format="json")


# -- at booking ----------------------------------------------------------------------------


def test_a_booking_copies_the_default_modality_and_the_fee(
    patient, professional, weekly_schedule, next_monday, post_booking
):
    profile = professional.professional_profile
    profile.default_modality = "online"
    profile.consultation_fee = Decimal("180.50")
    profile.save()

    response = post_booking(patient, professional, next_monday, "09:00")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert {name: body[name] for name in DETAILS} == {
        "modality": "online",
        "location": "",
        "meeting_url": "",
        "payment_status": "unpaid",
        "fee": "180.50",
    }
    stored = Appointment.objects.get(pk=body["id"])
    assert (stored.modality, stored.fee, stored.payment_status) == (
        "online",
        Decimal("180.50"),
        PaymentStatus.UNPAID,
    )


def test_the_fee_is_what_was_agreed_at_booking(
    patient, professional, weekly_schedule, next_monday, book
):
    profile = professional.professional_profile
    appointment = book(patient, professional, next_monday, "09:00")
    profile.consultation_fee = Decimal("999.00")
    profile.save()

    appointment.refresh_from_db()
    assert appointment.fee == Decimal("200.00")
    assert appointment.modality == "in_person"


def test_a_professional_without_a_fee_books_with_no_fee(
    patient, professional, weekly_schedule, next_monday, book
):
    profile = professional.professional_profile
    profile.consultation_fee = None
    profile.save()

    appointment = book(patient, professional, next_monday, "10:00")

    appointment.refresh_from_db()
    assert appointment.fee is None


def test_the_migration_copies_fees_of_existing_appointments(professional):
    migration = importlib.import_module("psico_scheduling.migrations.0006_session_details")
    without_profile = ProfessionalFactory()
    without_profile.professional_profile.delete()
    kept = AppointmentFactory(psychologist=professional, fee=Decimal("50.00"))
    filled = AppointmentFactory(psychologist=professional)
    no_fee = AppointmentFactory(psychologist=without_profile)
    Appointment.objects.filter(pk__in=[filled.pk, no_fee.pk]).update(fee=None)

    migration.copy_fees_from_profiles(apps, None)

    fees = dict(Appointment.objects.values_list("pk", "fee"))
    assert fees == {kept.pk: Decimal("50.00"), filled.pk: Decimal("200.00"), no_fee.pk: None}
    assert set(Appointment.objects.values_list("modality", "payment_status")) == {
        ("in_person", "unpaid")
    }


# -- PATCH by role -------------------------------------------------------------------------


def test_the_professional_makes_the_session_online(appointment, api_client_for):
    client = api_client_for(appointment.psychologist)

    response = patch(client, appointment, {"modality": "online", "meeting_url": MEET})

    assert response.status_code == 200, response.json()
    assert (response.json()["modality"], response.json()["meeting_url"]) == ("online", MEET)
    appointment.refresh_from_db()
    assert (appointment.modality, appointment.meeting_url) == ("online", MEET)
    # Still pending: details are not a reschedule.
    assert appointment.status == AppointmentStatus.PENDING


def test_switching_modality_clears_the_other_place(appointment, api_client_for):
    client = api_client_for(appointment.psychologist)
    assert patch(client, appointment, {"location": "Consultorio 3, Calle 21"}).status_code == 200

    response = patch(client, appointment, {"modality": "online", "meeting_url": MEET})
    assert response.status_code == 200
    assert response.json()["location"] == ""

    response = patch(client, appointment, {"modality": "in_person"})
    assert response.status_code == 200
    assert (response.json()["meeting_url"], response.json()["location"]) == ("", "")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"meeting_url": MEET}, "meeting_url"),  # the appointment is in person
        ({"modality": "online", "location": "Consultorio 3"}, "location"),
    ],
)
def test_a_place_of_the_other_modality_is_refused(appointment, api_client_for, body, field):
    response = patch(api_client_for(appointment.psychologist, language="en"), appointment, body)

    assert response.status_code == 400
    assert "only for" in " ".join(response.json()[field])
    appointment.refresh_from_db()
    assert (appointment.modality, appointment.location, appointment.meeting_url) == (
        "in_person",
        "",
        "",
    )


@pytest.mark.parametrize(
    "body",
    [
        {"modality": "online"},
        {"location": "Consultorio 3"},
        {"meeting_url": MEET},
        {"payment_status": "paid"},
        {"payment_status": "waived", "modality": "online", "location": "X", "meeting_url": MEET},
    ],
)
def test_a_patient_cannot_set_the_session_details(appointment, api_client_for, body):
    response = patch(api_client_for(appointment.patient, language="en"), appointment, body)

    assert response.status_code == 400, response.json()
    assert set(response.json()) == set(body)
    for messages in response.json().values():
        assert messages == [
            "Only the appointment's professional or the clinic can change this; ask them to."
        ]
    appointment.refresh_from_db()
    assert (appointment.modality, appointment.payment_status) == ("in_person", "unpaid")


def test_the_refusal_is_translated(appointment, api_client_for):
    response = patch(
        api_client_for(appointment.patient, language="es"), appointment, {"payment_status": "paid"}
    )

    assert response.status_code == 400
    assert response.json()["payment_status"] == [
        "Solo el profesional de la cita o la clínica pueden cambiar esto; pídaselo."
    ]


def test_a_patient_mixing_reason_and_details_changes_nothing(appointment, api_client_for):
    before = appointment.reason
    response = patch(
        api_client_for(appointment.patient),
        appointment,
        {"reason": "Otro motivo", "payment_status": "paid"},
    )

    assert response.status_code == 400
    appointment.refresh_from_db()
    assert (appointment.reason, appointment.payment_status) == (before, "unpaid")


def test_a_refused_reschedule_keeps_the_details_unchanged(appointment, api_client_for):
    # The professional sets details and, in the same PATCH, the patient's reason (403).
    response = patch(
        api_client_for(appointment.psychologist),
        appointment,
        {"payment_status": "paid", "reason": "Cambiado"},
    )

    assert response.status_code == 403
    appointment.refresh_from_db()
    assert appointment.payment_status == "unpaid"


def test_a_clinic_admin_sets_the_payment_status(appointment, clinic_admin, api_client_for):
    response = patch(api_client_for(clinic_admin), appointment, {"payment_status": "waived"})

    assert response.status_code == 200
    assert response.json()["payment_status"] == "waived"


@pytest.mark.parametrize("actor", ["other_patient", "other_professional"])
def test_someone_elses_appointment_is_not_found(appointment, api_client_for, actor):
    someone = PatientFactory() if actor == "other_patient" else ProfessionalFactory()

    response = patch(api_client_for(someone), appointment, {"payment_status": "paid"})

    assert response.status_code == 404
    appointment.refresh_from_db()
    assert appointment.payment_status == "unpaid"


def test_the_fee_is_read_only(appointment, api_client_for, clinic_admin):
    Appointment.objects.filter(pk=appointment.pk).update(fee=Decimal("200.00"))
    for user in (appointment.psychologist, clinic_admin):
        response = patch(api_client_for(user), appointment, {"fee": "0.00"})
        assert response.status_code == 400
        assert "fee" in response.json()
    appointment.refresh_from_db()
    assert appointment.fee == Decimal("200.00")


def test_the_place_is_fixed_once_the_session_started_but_payment_is_not(
    patient, professional, api_client_for
):
    past = AppointmentFactory(patient=patient, psychologist=professional, past=True)
    client = api_client_for(professional, language="en")

    place = patch(client, past, {"location": "Consultorio 3"})
    payment = patch(client, past, {"payment_status": "paid"})

    assert place.status_code == 400
    assert "before it starts" in " ".join(place.json()["non_field_errors"])
    assert payment.status_code == 200
    past.refresh_from_db()
    assert (past.location, past.payment_status, past.status) == ("", "paid", "completed")


def test_a_cancelled_late_session_can_be_marked_paid(appointment, api_client_for):
    Appointment.objects.filter(pk=appointment.pk).update(
        status=AppointmentStatus.CANCELLED, is_late_cancellation=True
    )
    response = patch(
        api_client_for(appointment.psychologist), appointment, {"payment_status": "paid"}
    )

    assert response.status_code == 200
    assert response.json()["payment_status"] == "paid"


def test_the_service_refuses_the_patient_too(appointment):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refusal:
        services.appointment_details_update(
            appointment=appointment, by=appointment.patient, modality="online"
        )
    assert set(refusal.value.message_dict) == {"modality"}


# -- https-only meeting URL and other hostile input ----------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://meet.example.com/x",
        "javascript:alert(1)",
        "https://user:secret@meet.example.com/x",
        "https://meet.example.com@evil.example/x",
        "https://meet.example.com/a b",
        "https://meet.example.com/\u202e/x",
        "https://meet.example.com/\x00",
        "ftp://meet.example.com/x",
        "https://",
        "data:text/html,<script>alert(1)</script>",
        "//meet.example.com/x",
        "https://" + "a" * 20_000 + ".com",
        " ".join(f"word{n}" for n in range(5000)),
        "https://١٢٣.example.com:８０/x",
    ],
    ids=lambda value: value[:30],
)
def test_a_hostile_meeting_url_is_a_400(patient, professional, api_client_for, url):
    appointment = AppointmentFactory(patient=patient, psychologist=professional, modality="online")

    response = patch(api_client_for(professional), appointment, {"meeting_url": url})

    assert response.status_code == 400, response.json()
    assert "meeting_url" in response.json()
    appointment.refresh_from_db()
    assert appointment.meeting_url == ""


@pytest.mark.parametrize(
    "body",
    [
        {"modality": "hybrid"},
        {"modality": ["online"]},
        {"payment_status": "PAID"},
        {"payment_status": {"a": [{"b": 1}]}},
        {"payment_status": 1},
        {"location": "x" * 20_000},
        {"location": " ".join(f"word{n}" for n in range(5000))},
        {"location": 7},
        {"meeting_url": None},
    ],
    ids=lambda body: f"{next(iter(body))}={str(next(iter(body.values())))[:20]}",
)
def test_hostile_details_are_a_400(appointment, api_client_for, body):
    response = patch(api_client_for(appointment.psychologist), appointment, body)

    assert response.status_code == 400, response.content
    appointment.refresh_from_db()
    assert (appointment.modality, appointment.location, appointment.payment_status) == (
        "in_person",
        "",
        "unpaid",
    )


def test_a_lone_surrogate_in_a_meeting_url_is_a_400(appointment, api_client_for):
    Appointment.objects.filter(pk=appointment.pk).update(modality="online")
    response = api_client_for(appointment.psychologist).patch(
        appointment_url(appointment.pk),
        data='{"meeting_url": "https://meet.example.com/\\ud800"}',
        content_type="application/json",
    )

    assert response.status_code == 400
    appointment.refresh_from_db()
    assert appointment.meeting_url == ""


# -- who sees them -------------------------------------------------------------------------


def test_the_participants_see_the_details(appointment, api_client_for, clinic_admin):
    Appointment.objects.filter(pk=appointment.pk).update(modality="online", meeting_url=MEET)

    for user in (appointment.patient, appointment.psychologist, clinic_admin):
        detail = api_client_for(user).get(appointment_url(appointment.pk))
        listed = api_client_for(user).get(APPOINTMENTS).json()["results"]
        assert detail.status_code == 200
        assert detail.json()["meeting_url"] == MEET
        assert [row["meeting_url"] for row in listed] == [MEET]


def test_public_listings_never_show_the_place(
    patient, professional, weekly_schedule, next_monday, book, api_client_for
):
    appointment = book(patient, professional, next_monday, "09:00")
    Appointment.objects.filter(pk=appointment.pk).update(
        location="Consultorio secreto 3", payment_status="paid"
    )
    anonymous = api_client_for(None)
    other = api_client_for(PatientFactory())
    pages = [
        anonymous.get(AVAILABLE_SLOTS, {"psychologist": professional.pk, "date": next_monday}),
        anonymous.get(SEARCH, {"date": next_monday.isoformat()}),
        anonymous.get("/api/professionals/"),
        anonymous.get(f"/api/professionals/{professional.pk}/"),
        other.get(APPOINTMENTS),
    ]
    for page in pages:
        assert page.status_code == 200
        assert b"Consultorio secreto" not in page.content
        assert b"payment_status" not in page.content


# -- the payment filter --------------------------------------------------------------------


def test_the_list_filters_by_payment_status(
    patient, professional, api_client_for, django_assert_max_num_queries
):
    start = timezone.now() + dt.timedelta(days=2)
    made = {
        status: AppointmentFactory(
            patient=patient,
            psychologist=professional,
            start=start + dt.timedelta(hours=n),
            payment_status=status,
        )
        for n, status in enumerate(PaymentStatus.values)
    }
    client = api_client_for(professional)

    for status, appointment in made.items():
        response = client.get(APPOINTMENTS, {"payment_status": status})
        assert response.status_code == 200
        assert [row["id"] for row in response.json()["results"]] == [appointment.pk]
    with django_assert_max_num_queries(4):  # the token, the zones, the count, the page
        client.get(APPOINTMENTS, {"payment_status": "paid", "date_from": start.date()})


@pytest.mark.parametrize("value", ["bogus", "", "x" * 20_000, "ｐａｉｄ", ["paid", "unpaid"]])
def test_a_hostile_payment_filter_is_a_400(appointment, api_client_for, value):
    response = api_client_for(appointment.patient).get(APPOINTMENTS, {"payment_status": value})

    assert response.status_code == 400
    assert "payment_status" in response.json()


def test_a_professional_chooses_their_default_modality(
    patient, professional, weekly_schedule, next_monday, api_client_for, post_booking
):
    client = api_client_for(professional)
    refused = client.patch("/api/professionals/me/", {"default_modality": "hybrid"}, format="json")
    chosen = client.patch("/api/professionals/me/", {"default_modality": "online"}, format="json")

    assert refused.status_code == 400
    assert chosen.status_code == 200, chosen.json()
    assert chosen.json()["default_modality"] == "online"
    assert post_booking(patient, professional, next_monday, "11:00").json()["modality"] == "online"
