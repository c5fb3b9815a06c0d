from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _
from psico_core.query import StrictFilterSet

from .models import Appointment, AppointmentStatus, PaymentStatus
from .selectors import appointments_between
from .validators import validate_date_in_window


class AppointmentFilter(StrictFilterSet):
    """``status``, ``payment_status``, and ``date_from``/``date_to`` as local dates of each
    appointment's professional (the ``appointment_date`` the API shows)."""

    status = django_filters.ChoiceFilter(choices=AppointmentStatus.choices)
    payment_status = django_filters.ChoiceFilter(choices=PaymentStatus.choices)
    date_from = django_filters.DateFilter(
        method="filter_date_from",
        label=_("Starting on or after this date (YYYY-MM-DD)."),
        validators=[validate_date_in_window],
    )
    date_to = django_filters.DateFilter(
        method="filter_date_to",
        label=_("Starting on or before this date (YYYY-MM-DD)."),
        validators=[validate_date_in_window],
    )

    class Meta:
        model = Appointment
        fields = ["status", "payment_status", "date_from", "date_to"]

    def filter_date_from(self, queryset, name, value):
        return queryset  # both ends are applied together, in filter_queryset

    filter_date_to = filter_date_from

    def filter_queryset(self, queryset):
        # One pass for the range: each end is read in each professional's zone, and the
        # zones are looked up once.
        queryset = super().filter_queryset(queryset)
        data = self.form.cleaned_data
        return appointments_between(
            queryset, date_from=data.get("date_from"), date_to=data.get("date_to")
        )
