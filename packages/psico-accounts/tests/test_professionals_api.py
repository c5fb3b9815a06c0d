from decimal import Decimal

import pytest
from psico_accounts.models import ProfessionalProfile
from psico_accounts.testing.factories import (
    PatientFactory,
    ProfessionalFactory,
    SpecializationFactory,
)

pytestmark = pytest.mark.django_db

DIRECTORY = "/api/professionals/"
MINE = "/api/professionals/me/"
SPECIALIZATIONS = "/api/professionals/specializations/"

PUBLIC_FIELDS = {
    "id",
    "first_name",
    "last_name",
    "full_name",
    "profile_picture",
    "bio",
    "city",
    "specializations",
    "session_duration",
    "consultation_fee",
    "years_of_experience",
    "accepting_new_patients",
    "time_zone",
}


@pytest.fixture
def specializations():
    return {
        "anxiety": SpecializationFactory(name="Ansiedad y estrés", slug="ansiedad-y-estres"),
        "couples": SpecializationFactory(name="Terapia de pareja", slug="terapia-de-pareja"),
    }


@pytest.fixture
def directory(specializations):
    return {
        "lucia": ProfessionalFactory(
            first_name="Lucía",
            last_name="Rojas",
            professional_profile__city="Sucre",
            professional_profile__consultation_fee=Decimal("300"),
            professional_profile__years_of_experience=12,
            professional_profile__bio="Atiendo crisis de pánico.",
            professional_profile__specializations=[specializations["anxiety"]],
        ),
        "mario": ProfessionalFactory(
            first_name="Mario",
            last_name="Aguilar",
            professional_profile__city="La Paz",
            professional_profile__consultation_fee=Decimal("150"),
            professional_profile__years_of_experience=3,
            professional_profile__bio="Parejas y familias.",
            professional_profile__specializations=[
                specializations["couples"],
                specializations["anxiety"],
            ],
        ),
        "hidden": ProfessionalFactory(last_name="Oculta", professional_profile__is_public=False),
        "inactive": ProfessionalFactory(last_name="Inactivo", is_active=False),
    }


def _ids(response):
    return [row["id"] for row in response.data["results"]]


def test_directory_lists_only_active_public_professionals(api_client_for, directory, patient):
    response = api_client_for(None).get(DIRECTORY)
    assert response.status_code == 200
    assert _ids(response) == [directory["mario"].pk, directory["lucia"].pk]


def test_directory_never_shows_private_fields(api_client_for, directory):
    client = api_client_for(None)
    row = client.get(DIRECTORY).data["results"][0]
    assert set(row) == PUBLIC_FIELDS
    assert set(row["specializations"][0]) == {"id", "name", "slug"}
    detail = client.get(f"{DIRECTORY}{directory['lucia'].pk}/").data
    assert set(detail) == PUBLIC_FIELDS
    assert detail["full_name"] == "Lucía Rojas"


def test_directory_filters_by_specialization_id_or_slug(api_client_for, directory, specializations):
    client = api_client_for(None)
    by_id = client.get(DIRECTORY, {"specialization": specializations["couples"].pk})
    by_slug = client.get(DIRECTORY, {"specialization": "terapia-de-pareja"})
    assert _ids(by_id) == _ids(by_slug) == [directory["mario"].pk]
    both = client.get(DIRECTORY, {"specialization": "ansiedad-y-estres"})
    assert _ids(both) == [directory["mario"].pk, directory["lucia"].pk]
    assert _ids(client.get(DIRECTORY, {"specialization": "no-existe"})) == []


@pytest.mark.parametrize("value", ["²", "٣", "9" * 30])
def test_a_specialization_that_only_looks_like_an_id_finds_nobody(api_client_for, directory, value):
    response = api_client_for(None).get(DIRECTORY, {"specialization": value})

    assert response.status_code == 200
    assert response.json()["count"] == 0


def test_directory_filters_by_city_ignoring_case(api_client_for, directory):
    response = api_client_for(None).get(DIRECTORY, {"city": "sucre"})
    assert _ids(response) == [directory["lucia"].pk]


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("lucía", ["lucia"]),
        ("aguilar", ["mario"]),
        ("pánico", ["lucia"]),
        ("pareja", ["mario"]),
        ("lucía rojas", ["lucia"]),
        ("lucía aguilar", []),
    ],
)
def test_directory_search(api_client_for, directory, words, expected):
    response = api_client_for(None).get(DIRECTORY, {"search": words})
    assert _ids(response) == [directory[name].pk for name in expected]


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        ("consultation_fee", ["mario", "lucia"]),
        ("-consultation_fee", ["lucia", "mario"]),
        ("-years_of_experience", ["lucia", "mario"]),
        ("-last_name", ["lucia", "mario"]),
    ],
)
def test_directory_ordering(api_client_for, directory, ordering, expected):
    response = api_client_for(None).get(DIRECTORY, {"ordering": ordering})
    assert _ids(response) == [directory[name].pk for name in expected]


def test_directory_refuses_a_blank_ordering_but_not_a_blank_search(api_client_for, directory):
    client = api_client_for(None, language="es")

    blank_ordering = client.get(DIRECTORY, {"ordering": ""})
    blank_search = client.get(DIRECTORY, {"search": "", "city": ""})

    assert blank_ordering.status_code == 400
    assert blank_ordering.json() == {"ordering": ["Dé un valor a este parámetro, o no lo envíe."]}
    assert blank_search.status_code == 200
    assert blank_search.json()["count"] == client.get(DIRECTORY).json()["count"]


@pytest.mark.parametrize(
    "query",
    [
        "city=La+Paz&city=Sucre",
        "ordering=first_name&ordering=last_name",
    ],
)
def test_directory_parameters_are_sent_once(api_client_for, directory, query):
    response = api_client_for(None, language="en").get(f"{DIRECTORY}?{query}")

    assert response.status_code == 400
    assert list(response.json().values()) == [["Send this parameter once."]]


@pytest.mark.parametrize("page", ["", "0", "last", "x", "1&page=1", " 1"])
def test_pages_are_written_in_digits_and_sent_once(api_client_for, directory, page):
    response = api_client_for(None, language="en").get(f"{DIRECTORY}?page={page}")

    assert response.status_code == 404
    assert response.json() == {"detail": "Invalid page."}


def test_the_first_page_is_page_1(api_client_for, directory):
    assert api_client_for(None).get(DIRECTORY, {"page": "1"}).status_code == 200


def test_directory_detail_hides_non_public_inactive_and_patients(api_client_for, directory):
    client = api_client_for(None)
    patient = PatientFactory()
    for user in (directory["hidden"], directory["inactive"], patient):
        assert client.get(f"{DIRECTORY}{user.pk}/").status_code == 404


def test_directory_runs_a_fixed_number_of_queries(api_client_for, django_assert_max_num_queries):
    specializations = SpecializationFactory.create_batch(3)
    client = api_client_for(None)
    for extra in (3, 27):
        ProfessionalFactory.create_batch(
            extra, professional_profile__specializations=specializations
        )
        # count, page, specializations.
        with django_assert_max_num_queries(3):
            response = client.get(DIRECTORY, {"search": "a", "ordering": "consultation_fee"})
        assert response.status_code == 200
        with django_assert_max_num_queries(3):
            response = client.get(DIRECTORY)
        assert response.data["count"] >= extra


def test_specializations_are_public_and_not_paginated(api_client_for, specializations):
    response = api_client_for(None).get(SPECIALIZATIONS)
    assert response.status_code == 200
    assert [row["slug"] for row in response.data] == ["ansiedad-y-estres", "terapia-de-pareja"]
    assert set(response.data[0]) == {"id", "name", "slug", "description"}


# /professionals/me/ -------------------------------------------------------------------------


def test_professional_me_is_for_professionals_only(api_client_for, patient, clinic_admin):
    assert api_client_for(None).get(MINE).status_code == 401
    assert api_client_for(patient).get(MINE).status_code == 403
    assert api_client_for(clinic_admin).get(MINE).status_code == 403


def test_professional_edits_own_profile(api_client_for, professional, specializations):
    response = api_client_for(professional).patch(
        MINE,
        {
            "bio": "Nueva biografía",
            "city": "Tarija",
            "session_duration": 45,
            "consultation_fee": "180.50",
            "time_zone": "America/Santiago",
            "accepting_new_patients": False,
            "is_public": False,
            "specializations": [specializations["couples"].pk],
            "license_number": "FALSO-1",
        },
        format="json",
    )
    assert response.status_code == 200, response.data
    assert response.data["specializations"] == [
        {
            "id": specializations["couples"].pk,
            "name": "Terapia de pareja",
            "slug": "terapia-de-pareja",
        }
    ]
    profile = ProfessionalProfile.objects.get(user=professional)
    assert (profile.city, profile.session_duration, profile.time_zone) == (
        "Tarija",
        45,
        "America/Santiago",
    )
    assert profile.consultation_fee == Decimal("180.50")
    assert profile.license_number != "FALSO-1"
    assert not profile.is_public
    assert api_client_for(None).get(f"{DIRECTORY}{professional.pk}/").status_code == 404


def test_professional_profile_validation(api_client_for, professional, settings):
    settings.PSICO_ACCOUNTS = {"SESSION_DURATION_MIN": 30, "SESSION_DURATION_MAX": 120}
    response = api_client_for(professional, language="en").patch(
        MINE,
        {"session_duration": 20, "time_zone": "Mars/Olympus", "specializations": [999999]},
        format="json",
    )
    assert response.status_code == 400
    assert response.data["session_duration"] == [
        "The session duration must be between 30 and 120 minutes."
    ]
    assert "time_zone" in response.data and "specializations" in response.data


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        # DRF would read these as "0", 45, true and an empty list.
        ({"city": 0}, "city", "Must be a JSON string (received: integer)."),
        (
            {"session_duration": "45"},
            "session_duration",
            "Must be a JSON integer (received: string).",
        ),
        ({"is_public": 1}, "is_public", "Must be a JSON boolean (received: integer)."),
        ({"specializations": {}}, "specializations", "Must be a JSON array (received: object)."),
        (
            {"consultation_fee": 180.5},
            "consultation_fee",
            "Must be a JSON string (received: number).",
        ),
    ],
)
def test_values_of_another_json_type_are_refused(
    api_client_for, professional, payload, field, message
):
    response = api_client_for(professional, language="en").patch(MINE, payload, format="json")

    assert response.status_code == 400
    assert response.json()[field] == [message]


def test_ids_in_a_list_must_be_json_integers(api_client_for, professional, specializations):
    pk = specializations["couples"].pk
    response = api_client_for(professional, language="en").patch(
        MINE, {"specializations": [pk, str(pk)]}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {
        "specializations": {"1": ["Must be a JSON integer (received: string)."]}
    }


def test_a_text_limit_counts_what_was_sent(api_client_for, professional):
    client = api_client_for(professional, language="en")
    limit = ProfessionalProfile._meta.get_field("city").max_length

    padded = client.patch(MINE, {"city": " " + "a" * limit}, format="json")
    exact = client.patch(MINE, {"city": "a" * limit}, format="json")

    assert padded.status_code == 400
    assert padded.json() == {"city": [f"Ensure this field has no more than {limit} characters."]}
    assert exact.status_code == 200


def test_me_and_specializations_are_not_taken_for_ids(api_client_for, professional):
    assert api_client_for(professional).get(MINE).data["city"] == "La Paz"
    assert api_client_for(None).get(SPECIALIZATIONS).status_code == 200
    assert api_client_for(None).get(f"{DIRECTORY}abc/").status_code == 404
