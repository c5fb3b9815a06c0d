import pytest
from psico_accounts.models import PatientProfile, ProfessionalProfile, User
from psico_accounts.testing.factories import (
    AdminFactory,
    PatientFactory,
    ProfessionalFactory,
    SpecializationFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    client.force_login(AdminFactory())
    return client


@pytest.mark.parametrize(
    "path",
    [
        "/admin/psico_accounts/user/",
        "/admin/psico_accounts/user/add/",
        "/admin/psico_accounts/user/?user_type__exact=professional&q=a",
        "/admin/psico_accounts/specialization/",
        "/admin/psico_accounts/professionalprofile/",
        "/admin/psico_accounts/patientprofile/",
    ],
)
def test_admin_pages_load(staff_client, path):
    PatientFactory()
    ProfessionalFactory(professional_profile__specializations=[SpecializationFactory()])
    assert staff_client.get(path).status_code == 200


def test_admin_change_page_shows_the_profile_inline(staff_client):
    professional = ProfessionalFactory()
    response = staff_client.get(f"/admin/psico_accounts/user/{professional.pk}/change/")
    assert response.status_code == 200
    assert b"professional_profile-0-city" in response.content


def test_admin_adds_a_user_with_email_and_password(staff_client):
    response = staff_client.post(
        "/admin/psico_accounts/user/add/",
        {
            "email": "Nuevo.Psicologo@psico.bo",
            "user_type": "professional",
            "first_name": "Nuevo",
            "last_name": "Psicólogo",
            "ci": "5551234",
            "usable_password": "true",
            "password1": "Clave-admin-2025",
            "password2": "Clave-admin-2025",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    user = User.objects.get(email="nuevo.psicologo@psico.bo")
    assert user.username == "nuevo.psicologo"
    assert user.check_password("Clave-admin-2025")
    assert ProfessionalProfile.objects.filter(user=user).exists()
    assert not PatientProfile.objects.filter(user=user).exists()


def change_data(client, user) -> dict:
    """The change form's current values, as the admin page would post them back."""
    page = client.get(f"/admin/psico_accounts/user/{user.pk}/change/")
    form = page.context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if value is None or name in ("password", "profile_picture"):
            continue
        if isinstance(value, bool):
            if value:
                data[name] = "on"
            continue
        if isinstance(value, list | tuple):
            data[name] = [getattr(item, "pk", item) for item in value]
            continue
        data[name] = value
    for formset in page.context["inline_admin_formsets"]:
        management = formset.formset.management_form
        for name in management.fields:
            data[f"{management.prefix}-{name}"] = management.initial.get(name, 0)
        for inline in formset.formset.forms:
            data[f"{inline.prefix}-id"] = inline.instance.pk
            data[f"{inline.prefix}-user"] = user.pk
            for name in inline.fields:
                value = inline.initial.get(name)
                if value is None:
                    continue
                if isinstance(value, bool):
                    if value:
                        data[f"{inline.prefix}-{name}"] = "on"
                    continue
                if isinstance(value, list | tuple):
                    value = [getattr(item, "pk", item) for item in value]
                data[f"{inline.prefix}-{name}"] = value
    return data


def test_deactivating_in_the_admin_goes_through_the_service(staff_client):
    from psico_accounts.selectors import device_tokens_of
    from psico_accounts.testing.tokens import token_key_for

    patient = PatientFactory(email_verified=True)
    token_key_for(patient)
    data = change_data(staff_client, patient)
    data.pop("is_active")
    data["email"] = "otro.correo@psico.bo"
    response = staff_client.post(f"/admin/psico_accounts/user/{patient.pk}/change/", data)
    assert response.status_code == 302, response.context["errors"]
    patient.refresh_from_db()
    assert (patient.is_active, patient.email, patient.email_verified) == (
        False,
        "otro.correo@psico.bo",
        False,
    )
    assert not device_tokens_of(user=patient).exists()


def test_the_admin_refuses_what_the_service_refuses_and_saves_nothing(staff_client):
    taken = PatientFactory(ci="7654321")
    response = staff_client.post(
        "/admin/psico_accounts/user/add/",
        {
            "email": "alguien@psico.bo",
            "user_type": "patient",
            "first_name": "Al",
            "last_name": "Guien",
            "ci": taken.ci,
            "usable_password": "true",
            "password1": "Clave-admin-2025",
            "password2": "Clave-admin-2025",
        },
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert not User.objects.filter(email="alguien@psico.bo").exists()


def test_profiles_are_changed_through_the_services(staff_client):
    professional = ProfessionalFactory()
    profile = professional.professional_profile
    url = f"/admin/psico_accounts/professionalprofile/{profile.pk}/change/"
    page = staff_client.get(url)
    form = page.context["adminform"].form
    data = {
        name: form.initial[name]
        for name in form.fields
        if form.initial.get(name) not in (None, False) and name != "specializations"
    }
    data = {k: ("on" if v is True else v) for k, v in data.items()}
    specialization = SpecializationFactory()
    response = staff_client.post(
        url, data | {"city": "Sucre", "specializations": [specialization.pk]}
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    profile.refresh_from_db()
    assert profile.city == "Sucre"
    assert list(profile.specializations.all()) == [specialization]
    assert staff_client.get("/admin/psico_accounts/professionalprofile/add/").status_code == 403
