"""Role permissions read the user's role flags, whatever the user model."""

from types import SimpleNamespace

import pytest
from django.contrib.auth.models import AnonymousUser
from psico_core.permissions import IsClinicAdmin, IsPatient, IsProfessional


def user(**roles):
    flags = {"is_patient": False, "is_professional": False, "is_clinic_admin": False, **roles}
    return SimpleNamespace(is_authenticated=True, **flags)


@pytest.mark.parametrize(
    ("permission", "role"),
    [
        (IsPatient, "is_patient"),
        (IsProfessional, "is_professional"),
        (IsClinicAdmin, "is_clinic_admin"),
    ],
)
def test_each_role_permission_admits_its_role_only(permission, role):
    allowed = SimpleNamespace(user=user(**{role: True}))
    other = SimpleNamespace(user=user())
    anonymous = SimpleNamespace(user=AnonymousUser())
    assert permission().has_permission(allowed, None) is True
    assert permission().has_permission(other, None) is False
    assert permission().has_permission(anonymous, None) is False


def test_the_refusals_are_translated():
    from django.utils import translation

    with translation.override("es"):
        assert str(IsPatient.message) == "Solo los pacientes pueden hacer esto."
