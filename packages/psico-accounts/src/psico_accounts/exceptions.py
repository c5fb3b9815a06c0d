"""Bridges Django's ValidationError, raised by services, to DRF's 400 responses."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions
from rest_framework.settings import api_settings

if TYPE_CHECKING:
    from rest_framework.views import APIView

    # The mixin extends a view's handle_exception (super()): checked as an APIView.
    _ViewBase = APIView
else:
    _ViewBase = object


def as_drf_validation_error(exc: DjangoValidationError) -> exceptions.ValidationError:
    """The same messages in DRF's shape: ``{"field": [...]}`` / ``{"non_field_errors": [...]}``."""
    non_field_key = api_settings.NON_FIELD_ERRORS_KEY
    if hasattr(exc, "error_dict"):
        detail = {
            (non_field_key if field == NON_FIELD_ERRORS else field): messages
            for field, messages in exc.message_dict.items()
        }
    else:
        detail = {non_field_key: exc.messages}
    codes = getattr(exc, "code", None)
    return exceptions.ValidationError(detail, code=codes)


# For API views that call services: a Django ValidationError becomes a 400, never a 500.
# A comment, not a docstring: drf-spectacular reads inherited docstrings (inspect.getdoc) and
# would publish this as the description of every operation of a view without its own.
class ServiceErrorsMixin(_ViewBase):
    def handle_exception(self, exc):
        if isinstance(exc, DjangoValidationError):
            exc = as_drf_validation_error(exc)
        return super().handle_exception(exc)
