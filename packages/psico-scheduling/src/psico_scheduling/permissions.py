"""The roles are psico_core's checks; scheduling only says, in its own words, what the role
is needed for."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from psico_core import permissions as roles
from rest_framework.permissions import BasePermission


class IsProfessional(roles.IsProfessional):
    """Schedules (weekly rules, blocked dates) belong to professionals."""

    message = _("Only professionals can manage a schedule.")


class IsPatient(roles.IsPatient):
    """Only patients book: the booking service refuses anyone else as well."""

    message = _("Only patients can book appointments.")


class IsPatientOrFrontDesk(BasePermission):
    """Patients book for themselves; clinic admins (the front desk) book for a patient."""

    message = _("Only patients, or the clinic for a patient, can book appointments.")

    def has_permission(self, request, view) -> bool:
        return roles.IsPatient().has_permission(
            request, view
        ) or roles.IsClinicAdmin().has_permission(request, view)


class IsProfessionalOrClinicAdmin(roles.IsProfessional):
    """A month's summary is a professional's own figures; the clinic reads everyone's."""

    message = _("Only professionals and clinic administrators can read a monthly summary.")

    def has_permission(self, request, view) -> bool:
        user = request.user
        return super().has_permission(request, view) or bool(
            user and user.is_authenticated and user.is_clinic_admin
        )


class IsWaitingPatient(roles.IsPatient):
    """A waiting list is a patient's own: the front desk books a freed time by phone instead."""

    message = _("Only patients can use a waiting list.")
