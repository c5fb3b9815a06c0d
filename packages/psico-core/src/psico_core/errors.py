"""The bridge from service errors to DRF answers, in one place: the API's exception handler.

Services refuse with Django's ``ValidationError`` (a model's ``full_clean``, a business rule);
DRF answers only its own exceptions and would let Django's through as a 500. The handler turns
one into a 400 with DRF's body (``{"field": [...]}`` / ``{"non_field_errors": [...]}``), then
lets DRF's default handler answer as usual. Set it once for the whole API::

    REST_FRAMEWORK = {"EXCEPTION_HANDLER": "psico_core.errors.exception_handler"}

A host with its own handler calls this one from it (and silences ``psico_core.E001``).
"""

from __future__ import annotations

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, serializers
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

EXCEPTION_HANDLER = "psico_core.errors.exception_handler"


def as_drf_validation_error(exc: DjangoValidationError) -> exceptions.ValidationError:
    """The same messages and codes in DRF's shape, through DRF's own conversion.

    DRF keeps the key Django gives errors about the whole object (``__all__``, as a model's
    ``full_clean`` raises them); they go under ``NON_FIELD_ERRORS_KEY`` like a serializer's.
    """
    detail = serializers.as_serializer_error(exc)
    if NON_FIELD_ERRORS in detail:
        non_field = detail.pop(NON_FIELD_ERRORS)
        detail.setdefault(api_settings.NON_FIELD_ERRORS_KEY, []).extend(non_field)
    return exceptions.ValidationError(detail=detail)


def exception_handler(exc, context):
    """DRF's exception handler, answering a Django ``ValidationError`` with a 400, and a
    Django ``Http404`` with DRF's own translated "Not found." (Django's message, e.g. "No
    Appointment matches the given query.", names a model and is never translated)."""
    if isinstance(exc, DjangoValidationError):
        exc = as_drf_validation_error(exc)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    return drf_exception_handler(exc, context)
