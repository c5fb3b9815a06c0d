from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _
from psico_core.audit import AuditAction
from psico_core.payloads import MAX_DATABASE_ID
from psico_core.query import StrictFilterSet

from .models import AuditEvent, ClinicalNote


def _id_filter(field_name: str, label) -> django_filters.NumberFilter:
    return django_filters.NumberFilter(
        field_name=field_name, label=label, min_value=1, max_value=MAX_DATABASE_ID, decimal_places=0
    )


class NoteFilter(StrictFilterSet):
    appointment = _id_filter("appointment_id", _("Appointment id"))

    class Meta:
        model = ClinicalNote
        fields = ["appointment"]


class AuditEventFilter(StrictFilterSet):
    """Who (``actor``), whose data (``subject``), what (``action``, ``object_type``,
    ``object_id``) and when (``date_from``/``date_to``, dates in the site's time zone)."""

    actor = _id_filter("actor_id", _("Actor (user id)"))
    subject = _id_filter("subject_id", _("Whose data (user id)"))
    action = django_filters.ChoiceFilter(choices=AuditAction.choices, label=_("Action"))
    object_type = django_filters.CharFilter(max_length=40, label=_("Object type"))
    object_id = django_filters.CharFilter(max_length=64, label=_("Object id"))
    date_from = django_filters.DateFilter(
        field_name="occurred_at", lookup_expr="date__gte", label=_("On or after (YYYY-MM-DD)")
    )
    date_to = django_filters.DateFilter(
        field_name="occurred_at", lookup_expr="date__lte", label=_("On or before (YYYY-MM-DD)")
    )

    class Meta:
        model = AuditEvent
        fields = ["actor", "subject", "action", "object_type", "object_id", "date_from", "date_to"]
