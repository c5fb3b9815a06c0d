"""Query-string filters for the API (django-filter); the filtering rules live in selectors."""

from __future__ import annotations

import django_filters
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from psico_core.query import SEARCH_VALIDATORS, TEXT_PARAMETER_MAX_LENGTH, StrictFilterSet

from .models import User, UserType
from .selectors import professionals_filter


def _descending_label(label) -> str:
    return gettext("%(field)s (descending)") % {"field": label}


# django-filter writes its "(descending)" labels once, at import, in the language active then;
# lazy labels follow each request's language (and the schema's --lang).
_descending = lazy(_descending_label, str)

# (model lookup, parameter value, label)
_DIRECTORY_ORDERING = (
    ("last_name", "last_name", _("Last name")),
    ("first_name", "first_name", _("First name")),
    ("professional_profile__consultation_fee", "consultation_fee", _("Consultation fee")),
    ("professional_profile__years_of_experience", "years_of_experience", _("Years of experience")),
    ("professional_profile__session_duration", "session_duration", _("Session duration")),
)


class ProfessionalDirectoryFilter(StrictFilterSet):
    specialization = django_filters.CharFilter(
        method="filter_specialization",
        label=_("Specialization (id or slug)"),
        max_length=TEXT_PARAMETER_MAX_LENGTH,
    )
    city = django_filters.CharFilter(
        method="filter_city", label=_("City"), max_length=TEXT_PARAMETER_MAX_LENGTH
    )
    search = django_filters.CharFilter(
        method="filter_search",
        label=_("Words to find in names, biography or specializations (at most 10)"),
        validators=list(SEARCH_VALIDATORS),
    )
    ordering = django_filters.OrderingFilter(
        fields=tuple((field, param) for field, param, _label in _DIRECTORY_ORDERING),
        field_labels={
            **{field: label for field, _param, label in _DIRECTORY_ORDERING},
            **{f"-{param}": _descending(label) for _field, param, label in _DIRECTORY_ORDERING},
        },
        label=_("Ordering"),
    )

    class Meta:
        model = User
        fields: list[str] = []

    def filter_specialization(self, queryset, name, value):
        return professionals_filter(queryset, specialization=value)

    def filter_city(self, queryset, name, value):
        return professionals_filter(queryset, city=value)

    def filter_search(self, queryset, name, value):
        return professionals_filter(queryset, search=value)

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if self.form.cleaned_data.get("ordering"):
            # Equal fees or names must not make pages overlap.
            queryset = queryset.order_by(*queryset.query.order_by, "pk")
        return queryset


class UserAdminFilter(StrictFilterSet):
    user_type = django_filters.ChoiceFilter(choices=UserType.choices, label=_("User type"))
    is_active = django_filters.BooleanFilter(label=_("Active"))

    class Meta:
        model = User
        fields = ["user_type", "is_active"]
