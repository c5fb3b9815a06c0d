"""The language of a user's emails: taken from the request at sign-up, changed in /users/me/."""

import pytest
from psico_accounts import services
from psico_accounts.models import User
from psico_accounts.testing.factories import PatientFactory

pytestmark = pytest.mark.django_db

REGISTER = "/api/auth/register/"
ME = "/api/users/me/"
USERS = "/api/users/"


def _registration(**overrides):
    return {
        "email": "nueva@psico.bo",
        "password": "Clave-segura-2025",
        "first_name": "Rosa",
        "last_name": "Choque",
        "ci": "7654321",
        **overrides,
    }


@pytest.mark.parametrize(
    ("accept_language", "stored"),
    [("en", "en"), ("en-GB,en;q=0.9", "en"), ("es-BO,es;q=0.8", "es"), ("fr", "es"), (None, "es")],
)
def test_sign_up_stores_the_language_of_the_request(api_client_for, accept_language, stored):
    response = api_client_for(None, language=accept_language).post(
        REGISTER, _registration(), format="json"
    )

    assert response.status_code == 201, response.data
    assert User.objects.get(email="nueva@psico.bo").language == stored
    assert response.data["user"]["language"] == stored


def test_sign_up_may_choose_a_language_and_refuses_an_unknown_one(api_client_for):
    client = api_client_for(None, language="es")
    refused = client.post(REGISTER, _registration(language="fr"), format="json")
    chosen = client.post(REGISTER, _registration(language="en"), format="json")

    assert refused.status_code == 400
    assert set(refused.data) == {"language"}
    assert chosen.status_code == 201
    assert User.objects.get().language == "en"


@pytest.mark.parametrize(
    ("value", "status", "stored"),
    [("en", 200, "en"), ("", 200, ""), ("fr", 400, "es"), (["en"], 400, "es"), (1, 400, "es")],
)
def test_users_change_their_own_language(api_client_for, value, status, stored):
    patient = PatientFactory(language="es")
    response = api_client_for(patient).patch(ME, {"language": value}, format="json")

    assert response.status_code == status, response.data
    patient.refresh_from_db()
    assert patient.language == stored


def test_the_clinic_sets_the_language_of_a_new_user(api_client_for, clinic_admin):
    response = api_client_for(clinic_admin).post(
        USERS,
        {
            "email": "psi@psico.bo",
            "user_type": "professional",
            "first_name": "Lucía",
            "last_name": "Rojas",
            "language": "en",
        },
        format="json",
    )

    assert response.status_code == 201, response.data
    assert User.objects.get(email="psi@psico.bo").language == "en"


def test_the_service_refuses_a_language_the_site_does_not_offer(settings):
    patient = PatientFactory()
    settings.LANGUAGES = [("es", "Español")]
    with pytest.raises(services.ValidationError) as refusal:
        services.user_update(user=patient, data={"language": "en"})

    assert set(refusal.value.message_dict) == {"language"}
