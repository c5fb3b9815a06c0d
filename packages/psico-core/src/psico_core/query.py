"""Query-string parameters are strict: one that is sent must carry one valid value.

django-filter and DRF read a typed parameter sent empty (``?date_from=``) as if it had not been
sent, take the last of repeated values (``?page=2&page=x``), read ``?is_active=2`` as true
and ``?page=`` as the first page. The OpenAPI schema says none of those is a date, a boolean or
a page number, and a client that sends one has a bug worth a 400 (404 for pages, as DRF answers
any page it cannot read). Free-text parameters that document no minimum length (``?search=``)
stay lenient: the empty string is a valid text, meaning "no filter".

Every filterset of the Psico apps derives from :class:`StrictFilterSet`, every serializer that
reads a query string from :class:`QueryParametersSerializer`, and the views use the search and
ordering filters and the paginator below.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy
from django_filters import FilterSet
from django_filters.constants import EMPTY_VALUES
from rest_framework import filters, pagination, serializers
from rest_framework.exceptions import NotFound, ValidationError

from .payloads import NOT_ASCII_NUMBER, is_ascii_number, numeric_text_errors

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise

BLANK_PARAMETER = _("Give this parameter a value, or leave it out.")
UNREADABLE_PARAMETER = _("This is not a valid value for this parameter.")
REPEATED_PARAMETER = _("Send this parameter once.")

# Bounds on what a query string may ask the database to do. A search runs one condition per
# word; thousands of words kept a worker busy for minutes (and then overflowed SQLite's
# expression tree). Names, cities and slugs are at most 100 characters in the models.
SEARCH_MAX_LENGTH = 100
SEARCH_MAX_WORDS = 10
TEXT_PARAMETER_MAX_LENGTH = 100
ORDERING_MAX_LENGTH = 100

TOO_MANY_WORDS = ngettext_lazy(
    "Search with at most %(limit)d word.", "Search with at most %(limit)d words.", "limit"
)

# Past 18 digits a page number cannot be a page (nor fit a database integer).
# django-filter's NumberFilter (and ModelChoiceFilter ids) read numbers with int() or Decimal().
_NUMERIC_FORM_FIELDS = (forms.IntegerField, forms.DecimalField, forms.FloatField)
_PAGE_NUMBER = re.compile(r"[0-9]{1,18}")
# The spellings of a boolean in a query string, as OpenAPI clients write them.
_BOOLEANS = {"true", "false"}


def validate_search_words(value: str) -> None:
    """A search text of at most :data:`SEARCH_MAX_WORDS` words (split as the filters split)."""
    if len(str(value).replace(",", " ").split()) > SEARCH_MAX_WORDS:
        raise DjangoValidationError(
            TOO_MANY_WORDS, code="too_many_words", params={"limit": SEARCH_MAX_WORDS}
        )


#: The validators of every free-text search parameter: length first, then words.
SEARCH_VALIDATORS = (MaxLengthValidator(SEARCH_MAX_LENGTH), validate_search_words)


def _bounded(request, name: str, validators) -> None:
    value = single_parameter(request, name)
    if value is None:
        return
    try:
        for validator in validators:
            validator(value)
    except DjangoValidationError as exc:
        raise ValidationError({name: exc.messages}) from exc


def _sent_values(data, name: str | None) -> list | None:
    """The values sent for ``name``, or None when the parameter is absent."""
    if name not in data:
        return None
    return data.getlist(name) if hasattr(data, "getlist") else [data[name]]


def _is_blank(values: list) -> bool:
    return all(isinstance(value, str) and not value.strip() for value in values)


def _takes_several(field) -> bool:
    return isinstance(field, (forms.MultipleChoiceField, serializers.ListField)) or getattr(
        field, "many", False
    )


class _StrictQueryForm(forms.Form):
    """Refuses typed parameters sent blank, repeated, or with a value the field cannot read."""

    def clean(self):
        cleaned_data = super().clean()
        if cleaned_data is None:  # a parent's clean() may leave self.cleaned_data as it is
            cleaned_data = self.cleaned_data
        for name, field in self.fields.items():
            values = _sent_values(self.data, self.add_prefix(name))
            if values is None:
                continue
            free_text = isinstance(field, forms.CharField)
            if len(values) > 1 and not _takes_several(field):
                problem: StrPromise | None = REPEATED_PARAMETER
            elif free_text or name in self.errors:
                continue
            elif _is_blank(values):
                problem = BLANK_PARAMETER
            elif isinstance(field, _NUMERIC_FORM_FIELDS) and not all(
                is_ascii_number(str(value)) for value in values
            ):
                problem = NOT_ASCII_NUMBER
            elif isinstance(field, forms.NullBooleanField):
                problem = None if str(values[0]).lower() in _BOOLEANS else UNREADABLE_PARAMETER
            elif cleaned_data.get(name) in EMPTY_VALUES:
                problem = UNREADABLE_PARAMETER
            else:
                problem = None
            if problem is not None:
                if name in self.errors:
                    del self.errors[name]
                self.add_error(name, problem)
        return cleaned_data


class StrictFilterSet(FilterSet):
    """A FilterSet whose parameters, when present in the query string, must be valid."""

    def get_form_class(self):
        form_class = super().get_form_class()
        return type(form_class.__name__, (_StrictQueryForm, form_class), {})


class QueryParametersSerializer(serializers.Serializer):
    """Reads ``request.query_params``: a parameter sent blank (unless it documents that blank
    is allowed) or repeated is refused, not ignored."""

    def to_internal_value(self, data):
        problems: dict[Any, list[StrPromise]] = {}
        for field in self.fields.values():
            values = _sent_values(data, field.field_name)
            if field.read_only or values is None:
                continue
            if len(values) > 1 and not _takes_several(field):
                problems[field.field_name] = [REPEATED_PARAMETER]
            elif _is_blank(values) and not getattr(field, "allow_blank", False):
                problems[field.field_name] = [BLANK_PARAMETER]
        problems.update(
            (name, messages)
            for name, messages in numeric_text_errors(self.fields.values(), data).items()
            if name not in problems
        )
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            # Serializer.to_internal_value raises its errors by field name.
            detail = cast("dict[str, Any]", exc.detail)
            raise serializers.ValidationError({**detail, **problems}) from exc
        if problems:
            raise serializers.ValidationError(problems)
        return value


def single_parameter(request, name: str) -> str | None:
    """The one value of the query parameter ``name`` (None when absent); 400 when repeated."""
    values = request.query_params.getlist(name)
    if len(values) > 1:
        raise ValidationError({name: [REPEATED_PARAMETER]})
    return values[0] if values else None


class SearchFilter(filters.SearchFilter):
    """DRF's search, with ``search`` sent at most once, at most :data:`SEARCH_MAX_LENGTH`
    characters and :data:`SEARCH_MAX_WORDS` words, and its errors keyed by the parameter
    (DRF answers a NUL character with a bare list, not the documented field-error object)."""

    def get_search_terms(self, request):
        _bounded(request, self.search_param, SEARCH_VALIDATORS)
        try:
            return super().get_search_terms(request)
        except ValidationError as exc:
            raise ValidationError({self.search_param: exc.detail}) from exc


class OrderingFilter(filters.OrderingFilter):
    """DRF's ordering, with ``ordering`` sent at most once and at most
    :data:`ORDERING_MAX_LENGTH` characters long."""

    def get_ordering(self, request, queryset, view):
        _bounded(request, self.ordering_param, [MaxLengthValidator(ORDERING_MAX_LENGTH)])
        return super().get_ordering(request, queryset, view)


class PageNumberPagination(pagination.PageNumberPagination):
    """DRF's page numbers, written in digits and sent once: ``?page=`` or ``?page=last``
    (which DRF reads as the first and the last page) are as unknown as ``?page=x``."""

    def get_page_number(self, request, paginator):
        values = request.query_params.getlist(self.page_query_param)
        if values and (len(values) > 1 or not _PAGE_NUMBER.fullmatch(values[0])):
            raise NotFound(self.invalid_page_message)
        return super().get_page_number(request, paginator)
