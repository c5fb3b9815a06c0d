import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings
from psico_accounts import services
from psico_accounts.models import DeviceToken, ProfessionalProfile, User, UserType
from psico_accounts.testing.factories import (
    TEST_PASSWORD,
    PatientFactory,
    ProfessionalFactory,
    SpecializationFactory,
)
from psico_accounts.testing.tokens import token_key_for

pytestmark = pytest.mark.django_db


def _professional_data(**overrides):
    data = {
        "email": "lucia@psico.bo",
        "password": TEST_PASSWORD,
        "user_type": UserType.PROFESSIONAL,
        "first_name": "Lucía",
        "last_name": "Rojas",
        "ci": "6543210",
    }
    return {**data, **overrides}


def test_user_create_makes_a_professional_with_profile_and_specializations():
    anxiety, couples = SpecializationFactory.create_batch(2)
    user = services.user_create(
        **_professional_data(),
        professional_profile={
            "city": "Sucre",
            "session_duration": 50,
            "specializations": [anxiety.pk, couples],
        },
    )
    profile = user.professional_profile
    assert (profile.city, profile.session_duration) == ("Sucre", 50)
    assert set(profile.specializations.all()) == {anxiety, couples}
    assert user.check_password(TEST_PASSWORD)
    assert not user.is_staff


def test_user_create_is_all_or_nothing_and_reports_every_problem():
    with pytest.raises(ValidationError) as excinfo:
        services.user_create(
            **_professional_data(ci="12", password="123"),
            professional_profile={"session_duration": 5, "time_zone": "Mars/Olympus"},
        )
    assert {"ci", "password", "session_duration", "time_zone"} <= set(excinfo.value.message_dict)
    assert not User.objects.exists()


def test_user_create_refuses_a_taken_email_whatever_its_case():
    PatientFactory(email="lucia@psico.bo")
    with pytest.raises(ValidationError) as excinfo:
        services.user_create(**_professional_data(email="LUCIA@psico.bo"))
    assert "email" in excinfo.value.message_dict


def test_admins_are_staff_and_have_no_profile():
    user = services.user_create(**_professional_data(user_type=UserType.ADMIN))
    assert user.is_staff and user.is_clinic_admin
    assert not hasattr(user, "professional_profile")


def test_user_without_password_cannot_log_in_until_reset():
    user = services.user_create(**_professional_data(password=None))
    assert not user.has_usable_password()


@override_settings(PSICO_ACCOUNTS={"SESSION_DURATION_MIN": 30, "SESSION_DURATION_MAX": 90})
def test_session_duration_bounds_come_from_settings():
    profile = ProfessionalFactory().professional_profile
    with pytest.raises(ValidationError) as excinfo:
        services.professional_profile_update(profile=profile, data={"session_duration": 120})
    assert "session_duration" in excinfo.value.message_dict
    profile.refresh_from_db()
    assert profile.session_duration == 60
    services.professional_profile_update(profile=profile, data={"session_duration": 90})
    assert ProfessionalProfile.objects.get(pk=profile.pk).session_duration == 90


def test_changing_the_email_clears_its_verification():
    user = PatientFactory(email_verified=True)
    services.user_update(user=user, data={"email": "Nuevo@Psico.bo"})
    user.refresh_from_db()
    assert (user.email, user.email_verified) == ("nuevo@psico.bo", False)


def test_a_refused_update_leaves_the_instance_as_stored():
    user = PatientFactory(first_name="Ana")
    with pytest.raises(ValidationError):
        services.user_update(user=user, data={"first_name": "Eva", "phone": "abc"})
    assert user.first_name == "Ana"


def test_becoming_a_professional_creates_the_professional_profile():
    user = PatientFactory()
    services.user_update(
        user=user,
        data={"user_type": UserType.PROFESSIONAL, "professional_profile": {"city": "Tarija"}},
    )
    assert ProfessionalProfile.objects.get(user=user).city == "Tarija"


def test_deactivating_revokes_the_token():
    user = PatientFactory()
    key = token_key_for(user)
    services.user_deactivate(user=user)
    user.refresh_from_db()
    assert not user.is_active
    assert services.token_authenticate(key=key) is None
    assert not DeviceToken.objects.filter(user=user, revoked_at__isnull=True).exists()


def test_password_change_checks_the_old_password_and_rotates_the_token():
    user = PatientFactory()
    old_key = token_key_for(user)
    with pytest.raises(ValidationError) as excinfo:
        services.password_change(user=user, old_password="wrong", new_password="Otra-clave-2025")
    assert "old_password" in excinfo.value.message_dict
    assert services.token_authenticate(key=old_key) is not None
    new_key = services.password_change(
        user=user, old_password=TEST_PASSWORD, new_password="Otra-clave-2025"
    )
    assert new_key != old_key
    assert services.token_authenticate(key=old_key) is None
    assert services.token_authenticate(key=new_key).user == user
    user.refresh_from_db()
    assert user.check_password("Otra-clave-2025")


def test_specializations_load_is_idempotent():
    entries = [{"slug": "duelo", "name": "Duelo", "description": "Pérdidas."}]
    assert services.specializations_load(entries=entries) == (1, 0)
    assert services.specializations_load(entries=entries) == (0, 0)
    entries[0]["description"] = "Pérdidas y separaciones."
    assert services.specializations_load(entries=entries) == (0, 1)
