"""Serializer fields of the scheduling API."""

from __future__ import annotations

import datetime as dt
import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .validators import validate_date_in_window

HOUR_MINUTE_PATTERN = r"^([01]\d|2[0-3]):[0-5]\d$"
# ASCII: in Python \d also matches "٣" or "３" (the schema's ECMA pattern does not).
_HOUR_MINUTE = re.compile(HOUR_MINUTE_PATTERN, re.ASCII)


class SchedulingDateField(serializers.DateField):
    """A date the scheduling API accepts: ``YYYY-MM-DD`` within ``DATE_WINDOW_DAYS`` of today."""

    def __init__(self, **kwargs):
        kwargs["validators"] = [*kwargs.get("validators", ()), validate_date_in_window]
        super().__init__(**kwargs)

    def to_internal_value(self, value):
        # Django's date parser reads any Unicode digit: "٢٠٣٠-01-01" would be 2030-01-01.
        if isinstance(value, str) and not value.isascii():
            self.fail("invalid", format="YYYY-MM-DD")
        return super().to_internal_value(value)


@extend_schema_field({"type": "string", "pattern": HOUR_MINUTE_PATTERN, "example": "09:00"})
class HourMinuteField(serializers.TimeField):
    """A time of day as exactly ``HH:MM`` (24 hours), in and out.

    Schedules are kept to the minute, so seconds are neither sent nor accepted. strptime alone
    would also take ``9:00``, which the documented pattern refuses: the text is matched first.
    """

    default_error_messages = {
        "invalid": _("Enter a time as HH:MM (24 hours), e.g. 09:00."),
    }

    def __init__(self, **kwargs):
        super().__init__(format="%H:%M", input_formats=["%H:%M"], **kwargs)

    def to_internal_value(self, value):
        if not isinstance(value, str) or not _HOUR_MINUTE.fullmatch(value):
            self.fail("invalid")
        return super().to_internal_value(value)


MONTH_PATTERN = r"^[0-9]{4}-(0[1-9]|1[0-2])$"
_MONTH = re.compile(MONTH_PATTERN, re.ASCII)


@extend_schema_field({"type": "string", "pattern": MONTH_PATTERN, "example": "2030-05"})
class MonthField(serializers.Field):
    """A calendar month as exactly ``YYYY-MM`` (ASCII digits), read as its first day, which
    must lie within ``DATE_WINDOW_DAYS`` of today."""

    default_error_messages = {
        "invalid": _("Enter a month as YYYY-MM, e.g. 2030-05."),
    }

    def to_internal_value(self, data):
        # The length check first: a 20,000-character value is refused without a regex pass.
        if not isinstance(data, str) or len(data) != 7 or not _MONTH.fullmatch(data):
            self.fail("invalid")
        year, month = int(data[:4]), int(data[5:])
        if year < 1:
            self.fail("invalid")
        first = dt.date(year, month, 1)
        try:
            validate_date_in_window(first)
        except ValidationError as exc:
            raise serializers.ValidationError(exc.messages) from None
        return first

    def to_representation(self, value):
        return value.strftime("%Y-%m")
