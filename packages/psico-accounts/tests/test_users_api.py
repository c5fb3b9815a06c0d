import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from psico_accounts import selectors
from psico_accounts.models import ProfessionalProfile, User, UserType
from psico_accounts.testing.factories import (
    PatientFactory,
    ProfessionalFactory,
    SpecializationFactory,
    UserFactory,
)
from psico_accounts.testing.tokens import token_key_for

from .images import noisy_png_upload, png_upload

pytestmark = pytest.mark.django_db

ME = "/api/users/me/"
USERS = "/api/users/"


# /users/me/ ---------------------------------------------------------------------------------


def test_me_shows_the_profile_of_the_users_type(api_client_for, patient, professional):
    mine = api_client_for(patient).get(ME).data
    assert mine["email"] == patient.email
    assert mine["patient_profile"] is not None and mine["professional_profile"] is None
    theirs = api_client_for(professional).get(ME).data
    assert theirs["professional_profile"]["city"] == "La Paz"
    assert theirs["patient_profile"] is None


def test_me_needs_authentication(api_client_for):
    assert api_client_for(None).get(ME).status_code == 401


def test_me_patch_changes_own_fields_but_nothing_privileged(api_client_for, patient):
    response = api_client_for(patient).patch(
        ME,
        {
            "first_name": "Nueva",
            "phone": "+59171234567",
            "user_type": "admin",
            "email": "otro@psico.bo",
            "email_verified": True,
            "is_staff": True,
            "is_superuser": True,
            "ci": "9999999",
        },
        format="json",
    )
    assert response.status_code == 200
    patient.refresh_from_db()
    assert (patient.first_name, patient.phone) == ("Nueva", "+59171234567")
    assert patient.user_type == UserType.PATIENT
    assert patient.email != "otro@psico.bo" and patient.ci != "9999999"
    assert not (patient.email_verified or patient.is_staff or patient.is_superuser)
    assert response.data["first_name"] == "Nueva"


def test_me_put_is_not_offered(api_client_for, patient):
    assert api_client_for(patient).put(ME, {}, format="json").status_code == 405


def test_profile_picture_upload(api_client_for, patient, django_capture_on_commit_callbacks):
    client = api_client_for(patient)
    response = client.patch(ME, {"profile_picture": png_upload()}, format="multipart")
    assert response.status_code == 200, response.data
    assert response.data["profile_picture"].startswith("http://testserver/media/profile_pictures/")
    patient.refresh_from_db()
    first_file = patient.profile_picture
    assert first_file.storage.exists(first_file.name)

    with django_capture_on_commit_callbacks(execute=True):
        replaced = client.patch(
            ME, {"profile_picture": png_upload("other.png")}, format="multipart"
        )
    assert replaced.status_code == 200
    # The replaced file is deleted once the change is committed.
    assert not first_file.storage.exists(first_file.name)

    cleared = client.patch(ME, {"profile_picture": None}, format="json")
    assert cleared.status_code == 200
    assert cleared.data["profile_picture"] is None


@pytest.mark.parametrize(
    "body",
    [
        b"not a form",
        # A value between boundaries, but no named part: Django reads no field from it.
        b"--xyz\r\ntrue--xyz--\r\n",
        b"--xyz\r\n\r\ntrue\r\n--xyz--\r\n",
    ],
)
def test_a_body_that_is_not_a_multipart_form_is_refused(api_client_for, patient, body):
    response = api_client_for(patient, language="en").generic(
        "PATCH", ME, body, content_type="multipart/form-data; boundary=xyz"
    )

    assert response.status_code == 400
    assert response.json() == {"detail": "The body is not a complete multipart form."}


def test_an_empty_multipart_form_changes_nothing(api_client_for, patient):
    response = api_client_for(patient).generic(
        "PATCH", ME, b"--xyz--\r\n", content_type="multipart/form-data; boundary=xyz"
    )

    assert response.status_code == 200
    assert response.json()["email"] == patient.email


def test_profile_picture_must_be_an_image(api_client_for, patient):
    fake = SimpleUploadedFile("face.png", b"not really a picture", content_type="image/png")
    response = api_client_for(patient).patch(ME, {"profile_picture": fake}, format="multipart")
    assert response.status_code == 400
    assert "profile_picture" in response.data
    patient.refresh_from_db()
    assert not patient.profile_picture


@override_settings(PSICO_ACCOUNTS={"PROFILE_PICTURE_MAX_BYTES": 20 * 1024})
def test_profile_picture_size_is_limited(api_client_for, patient):
    big = noisy_png_upload()
    assert big.size > 20 * 1024
    response = api_client_for(patient, language="en").patch(
        ME, {"profile_picture": big}, format="multipart"
    )
    assert response.status_code == 400
    assert "too large" in str(response.data["profile_picture"][0])


@override_settings(PSICO_ACCOUNTS={"PROFILE_PICTURE_FORMATS": ("JPEG",)})
def test_profile_picture_formats_come_from_settings(api_client_for, patient):
    response = api_client_for(patient).patch(
        ME, {"profile_picture": png_upload()}, format="multipart"
    )
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("factory", "queries"),
    [
        # The token joined with its user and both profiles.
        (PatientFactory, 1),
        # The same, then the professional's specializations.
        (ProfessionalFactory, 2),
    ],
)
def test_me_reads_the_database_once_or_twice(
    api_client_for, django_assert_num_queries, factory, queries
):
    user = (
        factory(professional_profile__specializations=SpecializationFactory.create_batch(5))
        if factory is ProfessionalFactory
        else factory()
    )
    client = api_client_for(user)
    with django_assert_num_queries(queries):
        response = client.get(ME)
    assert response.status_code == 200
    assert response.data["id"] == user.pk


@pytest.mark.parametrize("factory", [PatientFactory, ProfessionalFactory])
def test_me_answers_the_same_with_a_token_and_with_a_session(api_client_for, factory):
    user = (
        factory(professional_profile__specializations=SpecializationFactory.create_batch(3))
        if factory is ProfessionalFactory
        else factory()
    )
    by_session = api_client_for(None)
    by_session.force_login(user)

    with_session = by_session.get(ME)
    with_token = api_client_for(user).get(ME)

    assert with_session.status_code == with_token.status_code == 200
    assert with_session.json() == with_token.json()
    if factory is ProfessionalFactory:
        names = [
            item["name"] for item in with_token.json()["professional_profile"]["specializations"]
        ]
        assert names == sorted(names) and len(names) == 3


def test_me_refuses_an_unknown_token_and_an_inactive_users_token(api_client_for, patient):
    client = api_client_for(patient)
    User.objects.filter(pk=patient.pk).update(is_active=False)
    assert client.get(ME).status_code == 401

    stranger = api_client_for(None)
    stranger.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)
    response = stranger.get(ME)
    assert response.status_code == 401
    assert response.data["detail"] == "Token inválido."


# /users/ (clinic administrators) -------------------------------------------------------------


@pytest.mark.parametrize("role", ["patient", "professional"])
def test_users_is_forbidden_to_other_roles(api_client_for, request, role):
    client = api_client_for(request.getfixturevalue(role))
    assert client.get(USERS).status_code == 403
    assert client.post(USERS, {}, format="json").status_code == 403


def test_users_needs_authentication(api_client_for):
    assert api_client_for(None).get(USERS).status_code == 401


def test_superusers_of_any_type_are_clinic_admins(api_client_for):
    boss = UserFactory(user_type=UserType.PATIENT, is_superuser=True)
    assert api_client_for(boss).get(USERS).status_code == 200


def test_admin_lists_filters_and_searches_users(api_client_for, clinic_admin):
    PatientFactory(first_name="Zenobia")
    ProfessionalFactory.create_batch(2)
    client = api_client_for(clinic_admin)
    professionals = client.get(USERS, {"user_type": "professional"}).data
    assert professionals["count"] == 2
    assert {row["user_type"] for row in professionals["results"]} == {"professional"}
    found = client.get(USERS, {"search": "zenob"}).data
    assert [row["first_name"] for row in found["results"]] == ["Zenobia"]


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"is_active": ""}, "is_active", "Give this parameter a value, or leave it out."),
        ({"user_type": ""}, "user_type", "Give this parameter a value, or leave it out."),
        ({"is_active": "maybe"}, "is_active", "This is not a valid value for this parameter."),
        # Django's select widget reads "2" and "3" as true and false; clients write words.
        ({"is_active": "2"}, "is_active", "This is not a valid value for this parameter."),
        ({"is_active": ["true", "false"]}, "is_active", "Send this parameter once."),
        ({"search": ["ana", "luis"]}, "search", "Send this parameter once."),
        ({"ordering": ["email", "id"]}, "ordering", "Send this parameter once."),
    ],
)
def test_admin_user_filters_refuse_blank_repeated_and_unreadable_values(
    api_client_for, clinic_admin, params, field, message
):
    response = api_client_for(clinic_admin, language="en").get(USERS, params)

    assert response.status_code == 400
    assert response.json() == {field: [message]}


def test_a_search_with_a_nul_character_is_a_field_error(api_client_for, clinic_admin):
    response = api_client_for(clinic_admin, language="en").get(USERS, {"search": "ana\x00"})

    assert response.status_code == 400
    assert response.json() == {"search": ["Null characters are not allowed."]}


def test_admin_user_filters_read_booleans_and_leave_free_text_lenient(api_client_for, clinic_admin):
    PatientFactory(is_active=False)
    client = api_client_for(clinic_admin)

    inactive = client.get(USERS, {"is_active": "False"}).json()
    unsearched = client.get(USERS, {"search": ""}).json()

    assert [row["is_active"] for row in inactive["results"]] == [False]
    assert unsearched["count"] == 2


def test_admin_creates_a_professional_with_profile(api_client_for, clinic_admin):
    anxiety = SpecializationFactory(name="Ansiedad", slug="ansiedad")
    response = api_client_for(clinic_admin).post(
        USERS,
        {
            "email": "Lucia.Rojas@psico.bo",
            "password": "Consulta-2024!",
            "user_type": "professional",
            "first_name": "Lucía",
            "last_name": "Rojas",
            "ci": "6543210",
            "professional_profile": {
                "city": "Cochabamba",
                "session_duration": 50,
                "consultation_fee": "250.00",
                "license_number": "CPB-1234",
                "specializations": [anxiety.pk],
            },
        },
        format="json",
    )
    assert response.status_code == 201, response.data
    assert response.data["email"] == "lucia.rojas@psico.bo"
    profile = ProfessionalProfile.objects.get(user__email="lucia.rojas@psico.bo")
    assert (profile.city, profile.session_duration, profile.license_number) == (
        "Cochabamba",
        50,
        "CPB-1234",
    )
    assert list(profile.specializations.all()) == [anxiety]
    assert response.data["professional_profile"]["specializations"] == [
        {"id": anxiety.pk, "name": "Ansiedad", "slug": "ansiedad"}
    ]


def test_admin_created_user_without_password_must_reset_it(api_client_for, clinic_admin):
    response = api_client_for(clinic_admin).post(
        USERS,
        {"email": "sin@psico.bo", "user_type": "admin", "first_name": "A", "last_name": "B"},
        format="json",
    )
    assert response.status_code == 201, response.data
    user = User.objects.get(email="sin@psico.bo")
    assert not user.has_usable_password()
    assert user.is_staff and not user.is_superuser


def test_admin_create_reports_invalid_profile_fields(api_client_for, clinic_admin):
    response = api_client_for(clinic_admin).post(
        USERS,
        {
            "email": "x@psico.bo",
            "user_type": "professional",
            "first_name": "A",
            "last_name": "B",
            "professional_profile": {"session_duration": 1000, "time_zone": "Nowhere/City"},
        },
        format="json",
    )
    assert response.status_code == 400
    assert set(response.data["professional_profile"]) == {"session_duration", "time_zone"}
    assert not User.objects.filter(email="x@psico.bo").exists()


def test_admin_updates_and_deactivates_a_user(api_client_for, clinic_admin, patient):
    client = api_client_for(clinic_admin)
    token_key_for(patient)
    url = f"{USERS}{patient.pk}/"
    response = client.patch(url, {"user_type": "professional", "last_name": "Nuevo"}, format="json")
    assert response.status_code == 200, response.data
    assert response.data["professional_profile"] is not None
    assert response.data["patient_profile"] is None

    assert client.delete(url).status_code == 204
    patient.refresh_from_db()
    assert not patient.is_active
    assert not selectors.device_tokens_of(user=patient).exists()
    assert client.get(f"{USERS}999999/").status_code == 404


def test_admin_user_list_runs_a_fixed_number_of_queries(
    api_client_for, clinic_admin, django_assert_max_num_queries
):
    specializations = SpecializationFactory.create_batch(3)
    client = api_client_for(clinic_admin)

    def count_for(extra):
        ProfessionalFactory.create_batch(
            extra, professional_profile__specializations=specializations
        )
        PatientFactory.create_batch(extra)
        # token + user, count, page, specializations.
        with django_assert_max_num_queries(4):
            response = client.get(USERS)
        assert response.status_code == 200

    count_for(2)
    count_for(10)
