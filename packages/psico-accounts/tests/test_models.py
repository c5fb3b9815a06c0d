import pytest
from django.core.exceptions import ValidationError
from psico_accounts.models import PatientProfile, ProfessionalProfile, User, UserType
from psico_accounts.testing.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_username_comes_from_the_email_without_accents():
    user = User.objects.create_user("José.Peñaranda@Example.com", TEST_PASSWORD)
    assert user.username == "jose.penaranda"
    # The address itself is kept as written (lower-cased): only the username is folded.
    assert user.email == "josé.peñaranda@example.com"


def test_username_collisions_get_a_numeric_suffix():
    first = User.objects.create_user("ana@uno.bo", TEST_PASSWORD)
    second = User.objects.create_user("ana@dos.bo", TEST_PASSWORD)
    third = User.objects.create_user("aná@tres.bo", TEST_PASSWORD)
    assert [first.username, second.username, third.username] == ["ana", "ana2", "ana3"]


def test_login_lookup_ignores_the_case_of_the_email():
    user = UserFactory(email="maria@psico.bo")
    assert User.objects.get_by_natural_key("MARIA@Psico.BO") == user


def test_create_user_also_creates_the_profile_of_its_type():
    patient = User.objects.create_user("p@psico.bo", TEST_PASSWORD)
    professional = User.objects.create_user(
        "q@psico.bo", TEST_PASSWORD, user_type=UserType.PROFESSIONAL
    )
    admin = User.objects.create_superuser("r@psico.bo", TEST_PASSWORD)
    assert PatientProfile.objects.filter(user=patient).exists()
    assert ProfessionalProfile.objects.filter(user=professional).exists()
    assert admin.user_type == UserType.ADMIN and admin.is_clinic_admin
    assert admin.ensure_profile() is None


def test_blank_ci_is_stored_as_unknown_so_many_users_may_lack_one():
    first = UserFactory(ci=None)
    second = UserFactory(ci=None)
    second.ci = "   "
    second.full_clean(exclude=["password"])
    assert second.ci is None
    assert first.ci is None


@pytest.mark.parametrize("ci", ["123456", "12345678901", "12a4567", "1234 567"])
def test_ci_must_have_7_to_10_digits(ci):
    user = UserFactory.build(ci=ci)
    with pytest.raises(ValidationError) as excinfo:
        user.full_clean(exclude=["password"])
    assert "ci" in excinfo.value.message_dict
