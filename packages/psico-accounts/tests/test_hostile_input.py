"""Hostile input over REST: every one answers a clear 400 (or 404), fast, and changes nothing."""

import pytest
from django.core.exceptions import ValidationError
from psico_accounts.models import ProfessionalProfile, User
from psico_accounts.testing.factories import ProfessionalFactory, SpecializationFactory
from psico_accounts.validators import validate_time_zone

pytestmark = pytest.mark.django_db

REGISTER = "/api/auth/register/"
LOGIN = "/api/auth/login/"
DIRECTORY = "/api/professionals/"
PROFESSIONAL_ME = "/api/professionals/me/"
ME = "/api/users/me/"
USERS = "/api/users/"

FIVE_THOUSAND_WORDS = " ".join(f"word{n}" for n in range(5000))
HUGE_ID = "99999999999999999999"


def registration(**overrides) -> dict:
    return {
        "email": "ana.quispe@example.com",
        "password": "Consulta-2024!",
        "first_name": "Ana",
        "last_name": "Quispe",
        "ci": "7890123",
        **overrides,
    }


def error_of(response, field: str) -> str:
    assert response.status_code == 400, (response.status_code, response.content)
    return " ".join(str(message) for message in response.json()[field])


# -- bounded query parameters --------------------------------------------------------------


def test_a_five_thousand_word_search_is_refused_before_any_query(
    api_client_for, django_assert_num_queries
):
    # Refused while reading the parameters: the database never sees the words (how long the
    # refusal takes beside a one-word search is measured in bench/hostile.py).
    ProfessionalFactory.create_batch(30)
    client = api_client_for(None, language="en")
    with django_assert_num_queries(0):
        response = client.get(DIRECTORY, {"search": FIVE_THOUSAND_WORDS})
    assert "at most 100 characters" in error_of(response, "search")


@pytest.mark.parametrize(
    ("language", "expected"),
    [(None, "Busque con 10 palabras como máximo."), ("en", "Search with at most 10 words.")],
)
def test_a_search_of_more_than_ten_words_is_refused(api_client_for, language, expected):
    response = api_client_for(None, language=language).get(
        DIRECTORY, {"search": " ".join("ab" for _ in range(11))}
    )
    assert error_of(response, "search") == expected


def test_ten_words_of_search_still_work(api_client_for):
    professional = ProfessionalFactory(first_name="Lucía")
    response = api_client_for(None).get(DIRECTORY, {"search": " ".join(["Lucía"] * 10)})
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [professional.pk]


@pytest.mark.parametrize("parameter", ["city", "specialization", "search", "ordering"])
def test_directory_parameters_of_twenty_thousand_characters_are_refused(api_client_for, parameter):
    response = api_client_for(None).get(DIRECTORY, {parameter: "x" * 20_000})
    assert response.status_code == 400
    assert parameter in response.json()


@pytest.mark.parametrize(
    ("parameter", "value"),
    [("search", FIVE_THOUSAND_WORDS), ("search", "a," * 50), ("ordering", "id," * 200)],
)
def test_the_user_list_bounds_its_search_and_ordering(
    clinic_admin, api_client_for, django_assert_max_num_queries, parameter, value
):
    client = api_client_for(clinic_admin)
    # The token's query authenticates the admin; the list itself is never read.
    with django_assert_max_num_queries(1):
        response = client.get(USERS, {parameter: value})
    assert response.status_code == 400
    assert parameter in response.json()


@pytest.mark.parametrize("page", ["9" * 5000, HUGE_ID])
def test_a_huge_page_number_is_not_found(api_client_for, page):
    assert api_client_for(None).get(DIRECTORY, {"page": page}).status_code == 404


# -- bounded body text ---------------------------------------------------------------------


@pytest.mark.parametrize("field", ["password", "first_name", "email", "user_type", "phone", "ci"])
def test_registration_refuses_twenty_thousand_characters(api_client_for, field):
    response = api_client_for(None).post(
        REGISTER, registration(**{field: "x" * 20_000}), format="json"
    )
    assert response.status_code == 400
    assert field in response.json()
    assert not User.objects.exists()


@pytest.mark.parametrize(
    ("url", "payload", "refused"),
    [
        (LOGIN, {"email": "a@example.com", "password": "x" * 20_000}, {"password"}),
        (LOGIN, {"email": "a" * 20_000 + "@example.com", "password": "x"}, {"email"}),
        ("/api/auth/password-reset/", {"email": "a" * 20_000 + "@example.com"}, {"email"}),
        (
            "/api/auth/password-reset/confirm/",
            {"uid": "x" * 20_000, "token": "x" * 20_000, "new_password": "x" * 20_000},
            {"uid", "token", "new_password"},
        ),
    ],
)
def test_anonymous_forms_refuse_twenty_thousand_characters(api_client_for, url, payload, refused):
    response = api_client_for(None).post(url, payload, format="json")
    assert response.status_code == 400
    assert set(response.json()) == refused


def test_a_biography_of_twenty_thousand_characters_is_refused(professional, api_client_for):
    before = professional.professional_profile.bio
    response = api_client_for(professional).patch(
        PROFESSIONAL_ME, {"bio": "x" * 20_000}, format="json"
    )
    assert "5000" in error_of(response, "bio")
    assert ProfessionalProfile.objects.get(user=professional).bio == before


def test_the_password_change_refuses_twenty_thousand_characters(patient, api_client_for):
    response = api_client_for(patient).post(
        "/api/auth/password-change/",
        {"old_password": "x" * 20_000, "new_password": "x" * 20_000},
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()) == {"old_password", "new_password"}


# -- extreme dates -------------------------------------------------------------------------


@pytest.mark.parametrize("date_of_birth", ["0001-01-01", "1899-12-31", "9999-12-31"])
def test_registration_refuses_an_impossible_date_of_birth(api_client_for, date_of_birth):
    response = api_client_for(None).post(
        REGISTER, registration(date_of_birth=date_of_birth), format="json"
    )
    assert response.status_code == 400
    assert "date_of_birth" in response.json()
    assert not User.objects.exists()


# -- nested JSON and lone surrogates -------------------------------------------------------

DEEP_ARRAY = "[" * 100_000 + "]" * 100_000
DEEP_OBJECT = '{"a": ' * 40 + "1" + "}" * 40


@pytest.mark.parametrize("body", [DEEP_ARRAY, DEEP_OBJECT], ids=["array", "object"])
@pytest.mark.parametrize("url", [REGISTER, LOGIN, "/api/auth/password-reset/"])
def test_deeply_nested_json_is_a_400(api_client_for, url, body):
    response = api_client_for(None, language="en").post(url, body, content_type="application/json")
    assert response.status_code == 400
    assert "nested too deeply" in response.json()["detail"]
    assert not User.objects.exists()


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (DEEP_ARRAY, "anidado demasiado profundo (más de 32 niveles)"),
        ('{"first_name": "\\udfff"}', "sustituto UTF-16 suelto"),
        ('{"first_name": NaN}', "no es JSON válido"),
    ],
    ids=["nested", "surrogate", "nan"],
)
def test_unreadable_json_is_explained_in_spanish_by_default(api_client_for, body, expected):
    response = api_client_for(None).post(REGISTER, body, content_type="application/json")
    assert response.status_code == 400
    assert expected in response.json()["detail"]


@pytest.mark.parametrize("body", [DEEP_ARRAY, DEEP_OBJECT], ids=["array", "object"])
def test_deeply_nested_json_is_a_400_on_the_multipart_view_too(patient, api_client_for, body):
    response = api_client_for(patient).patch(ME, body, content_type="application/json")
    assert response.status_code == 400


def test_deeply_nested_json_is_a_400_for_the_clinic(clinic_admin, api_client_for):
    response = api_client_for(clinic_admin).post(USERS, DEEP_ARRAY, content_type="application/json")
    assert response.status_code == 400
    assert User.objects.count() == 1


def test_a_lone_surrogate_in_a_registration_is_a_400(api_client_for):
    body = (
        '{"email": "ana@example.com", "password": "Consulta-2024!", "first_name": "\\ud800",'
        ' "last_name": "Quispe", "ci": "7890123"}'
    )
    response = api_client_for(None, language="en").post(
        REGISTER, body, content_type="application/json"
    )
    assert response.status_code == 400
    assert "surrogate" in response.json()["detail"]
    assert not User.objects.exists()


# -- identity numbers and phones -----------------------------------------------------------

UNICODE_DIGITS = ["٧٨٩٠١٢٣", "７８９０１２３", "۷۸۹۰۱۲۳", "7890１23"]


@pytest.mark.parametrize("ci", UNICODE_DIGITS)
def test_registration_takes_ascii_digits_only_in_the_ci(api_client_for, ci):
    response = api_client_for(None, language="en").post(
        REGISTER, registration(ci=ci), format="json"
    )
    assert "between 7 and 10 digits" in error_of(response, "ci")
    assert not User.objects.exists()


def test_a_ci_cannot_be_registered_twice_in_other_digits(api_client_for):
    client = api_client_for(None)
    assert client.post(REGISTER, registration(ci=" 7890123 "), format="json").status_code == 201
    assert User.objects.get().ci == "7890123"
    for ci in ["7890123", "７８９０１２３", "٧٨٩٠١٢٣"]:
        again = client.post(REGISTER, registration(email="otra@example.com", ci=ci), format="json")
        assert again.status_code == 400
        assert "ci" in again.json()
    assert User.objects.count() == 1


@pytest.mark.parametrize("phone", ["+٥٩١٧١٢٣٤٥٦٧", "+５９１７１２３４５６７", "７１２３４５６７"])
def test_phones_take_ascii_digits_only(patient, api_client_for, phone):
    before = patient.phone
    response = api_client_for(patient).patch(ME, {"phone": phone}, format="json")
    assert response.status_code == 400
    assert "phone" in response.json()
    patient.refresh_from_db()
    assert patient.phone == before


def test_a_phone_is_stored_without_spaces_or_dashes(patient, api_client_for):
    response = api_client_for(patient).patch(ME, {"phone": " +591 712-34567 "}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["phone"] == "+59171234567"


def test_the_clinic_cannot_create_a_user_with_unicode_digits(clinic_admin, api_client_for):
    response = api_client_for(clinic_admin).post(
        USERS,
        {
            "email": "nuevo@example.com",
            "user_type": "patient",
            "first_name": "Nuevo",
            "last_name": "Paciente",
            "ci": "７８９０１２３",
            "phone": "٧١٢٣٤٥٦٧",
            "patient_profile": {"emergency_contact_phone": "７１２３４５６７"},
        },
        format="json",
    )
    assert response.status_code == 400
    assert {"ci", "phone", "patient_profile"} <= set(response.json())
    assert not User.objects.filter(email="nuevo@example.com").exists()


def test_the_clinic_cannot_give_a_user_unicode_digits(clinic_admin, patient, api_client_for):
    response = api_client_for(clinic_admin).patch(
        f"{USERS}{patient.pk}/", {"ci": "٧٨٩٠١٢٣"}, format="json"
    )
    assert response.status_code == 400
    patient.refresh_from_db()
    assert patient.ci != "٧٨٩٠١٢٣"


def test_the_model_refuses_unicode_digits(patient):
    patient.ci = "７８９０１２３"
    patient.phone = "٧١٢٣٤٥٦٧"
    with pytest.raises(ValidationError) as caught:
        patient.full_clean()
    assert {"ci", "phone"} <= set(caught.value.message_dict)


def test_the_admin_form_refuses_unicode_digits(clinic_admin, client):
    clinic_admin.is_superuser = True
    clinic_admin.save()
    client.force_login(clinic_admin)
    response = client.post(
        "/admin/psico_accounts/user/add/",
        {
            "email": "forma@example.com",
            "user_type": "patient",
            "first_name": "Forma",
            "last_name": "Admin",
            "ci": "７８９０１２３",
            "usable_password": "false",
        },
    )
    assert response.status_code == 200
    assert not User.objects.filter(email="forma@example.com").exists()


# -- time zones ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "time_zone",
    ["localtime", "posixrules", "Factory", "../etc", "posix/America/La_Paz", "x" * 20_000],
)
def test_a_time_zone_must_be_an_iana_location(professional, api_client_for, time_zone):
    response = api_client_for(professional).patch(
        PROFESSIONAL_ME, {"time_zone": time_zone}, format="json"
    )
    assert response.status_code == 400
    assert "time_zone" in response.json()
    assert ProfessionalProfile.objects.get(user=professional).time_zone != time_zone


@pytest.mark.parametrize("time_zone", ["localtime", "Factory", "posixrules"])
def test_the_time_zone_validator_refuses_non_locations(time_zone):
    with pytest.raises(ValidationError):
        validate_time_zone(time_zone)


def test_a_real_time_zone_is_accepted(professional, api_client_for):
    response = api_client_for(professional).patch(
        PROFESSIONAL_ME, {"time_zone": "America/Santiago"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["time_zone"] == "America/Santiago"


# -- extreme ids ---------------------------------------------------------------------------


@pytest.mark.parametrize("pk", [HUGE_ID, "9" * 19, "-1", "0x10"])
def test_extreme_path_ids_are_not_found(clinic_admin, api_client_for, pk):
    client = api_client_for(clinic_admin)
    assert client.get(f"{USERS}{pk}/").status_code == 404
    assert client.patch(f"{USERS}{pk}/", {"first_name": "X"}, format="json").status_code == 404
    assert client.get(f"{DIRECTORY}{pk}/").status_code == 404


def test_an_extreme_specialization_id_finds_nobody(api_client_for):
    ProfessionalFactory()
    response = api_client_for(None).get(DIRECTORY, {"specialization": HUGE_ID})
    assert response.status_code == 200
    assert response.json()["results"] == []


@pytest.mark.parametrize("pk", [99999999999999999999, -1, 0])
def test_extreme_specialization_ids_in_a_body_are_a_400(professional, api_client_for, pk):
    kept = SpecializationFactory()
    professional.professional_profile.specializations.set([kept])
    response = api_client_for(professional).patch(
        PROFESSIONAL_ME, {"specializations": [pk]}, format="json"
    )
    assert response.status_code == 400
    assert "specializations" in response.json()
    assert list(professional.professional_profile.specializations.all()) == [kept]


@pytest.mark.parametrize("fee", ["١٢٣٫٥٠", "１２３.５０", "1e3", "NaN", "Infinity"])
def test_a_fee_is_written_in_ascii_digits(professional, api_client_for, fee):
    client = api_client_for(professional, language="en")

    response = client.patch(PROFESSIONAL_ME, {"consultation_fee": fee}, format="json")

    assert response.status_code == 400
    professional.professional_profile.refresh_from_db()
    assert professional.professional_profile.consultation_fee != 123


def test_a_fee_in_ascii_digits_is_taken(professional, api_client_for):
    response = api_client_for(professional).patch(
        PROFESSIONAL_ME, {"consultation_fee": "150.50"}, format="json"
    )

    assert response.status_code == 200, response.content
    assert response.json()["consultation_fee"] == "150.50"
