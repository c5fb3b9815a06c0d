"""Booking before the email address is verified: allowed unless
``PSICO_ACCOUNTS["REQUIRE_VERIFIED_EMAIL_TO_BOOK"]`` says otherwise (a patient booking alone)."""

import pytest
from psico_accounts.testing.factories import PatientFactory
from psico_scheduling.models import Appointment

from .conftest import messages

pytestmark = pytest.mark.django_db

NOT_VERIFIED = {
    "en": (
        "Confirm your email address before booking: open the link in the email we sent you "
        "(you can ask for a new one)."
    ),
    "es": (
        "Confirme su dirección de correo antes de reservar: abra el enlace del correo que le "
        "enviamos (puede pedir uno nuevo)."
    ),
}


def test_an_unverified_patient_books_by_default(
    professional, weekly_schedule, next_monday, post_booking
):
    patient = PatientFactory(email_verified=False)
    response = post_booking(patient, professional, next_monday, "09:00")
    assert response.status_code == 201, response.content


@pytest.mark.parametrize("language", ["en", "es"])
def test_with_the_setting_an_unverified_patient_is_refused(
    settings, professional, weekly_schedule, next_monday, post_booking, language
):
    settings.PSICO_ACCOUNTS = {"REQUIRE_VERIFIED_EMAIL_TO_BOOK": True}
    patient = PatientFactory(email_verified=False)
    response = post_booking(patient, professional, next_monday, "09:00", language=language)
    assert messages(response) == [NOT_VERIFIED[language]]
    assert not Appointment.objects.exists()


def test_with_the_setting_a_verified_patient_and_the_front_desk_book(
    settings, clinic_admin, professional, weekly_schedule, next_monday, post_booking
):
    settings.PSICO_ACCOUNTS = {"REQUIRE_VERIFIED_EMAIL_TO_BOOK": True}
    verified = PatientFactory(email_verified=True)
    assert post_booking(verified, professional, next_monday, "09:00").status_code == 201
    # The front desk spoke to the patient: it may book for an unverified address.
    unverified = PatientFactory(email_verified=False)
    response = post_booking(clinic_admin, professional, next_monday, "10:00", patient=unverified.pk)
    assert response.status_code == 201, response.content
