"""Query-string filters for the API (django-filter); the filtering rules live in selectors."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from .models import User, UserType
from .selectors import professionals_filter


class ProfessionalDirectoryFilter(django_filters.FilterSet):
    specialization = django_filters.CharFilter(
        method="filter_specialization",
        label=_("Specialization (id or slug)"),
    )
    city = django_filters.CharFilter(method="filter_city", label=_("City"))
    search = django_filters.CharFilter(
        method="filter_search",
        label=_("Words to find in names, biography or specializations"),
    )
    ordering = django_filters.OrderingFilter(
        fields=(
            ("last_name", "last_name"),
            ("first_name", "first_name"),
            ("professional_profile__consultation_fee", "consultation_fee"),
            ("professional_profile__years_of_experience", "years_of_experience"),
            ("professional_profile__session_duration", "session_duration"),
        ),
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


class UserAdminFilter(django_filters.FilterSet):
    user_type = django_filters.ChoiceFilter(choices=UserType.choices, label=_("User type"))
    is_active = django_filters.BooleanFilter(label=_("Active"))

    class Meta:
        model = User
        fields = ["user_type", "is_active"]
