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
