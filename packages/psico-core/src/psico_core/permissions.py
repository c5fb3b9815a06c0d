"""Role checks for API views. Unauthenticated requests get 401 from DRF before these answer 403."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission


class IsPatient(BasePermission):
    message = _("Only patients can do this.")

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_patient)


class IsProfessional(BasePermission):
    message = _("Only professionals can do this.")

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_professional)


class IsClinicAdmin(BasePermission):
    """Clinic administrators: users of type ``admin`` and superusers."""

    message = _("Only clinic administrators can do this.")

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_clinic_admin)
