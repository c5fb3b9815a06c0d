from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission


class IsProfessional(BasePermission):
    """Schedules (weekly rules, blocked dates) belong to professionals."""

    message = _("Only professionals can manage a schedule.")

    def has_permission(self, request, view) -> bool:
        return bool(getattr(request.user, "is_professional", False))


class IsPatient(BasePermission):
    """Only patients book: the booking service refuses anyone else as well."""

    message = _("Only patients can book appointments.")

    def has_permission(self, request, view) -> bool:
        return bool(getattr(request.user, "is_patient", False))
