"""Request bodies are read with the JSON types the schema documents, never coerced.

DRF is lenient with JSON: a text field takes the number ``0`` (and stores ``"0"``), an integer
field takes ``"5"``, a boolean takes ``"yes"`` or ``1``, a list of ids takes an object, and a
length limit is checked after surrounding whitespace is trimmed, so a longer text gets in. The
OpenAPI schema promises clients and generated code the exact types and limits, so every input
serializer of the Psico apps derives from :class:`InputSerializer` or
:class:`InputModelSerializer` and refuses, with a 400, a value of another JSON type, or a text
longer than its limit as sent.

Form encodings (multipart, urlencoded) carry only text and are left to DRF's own parsing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from django.db import models
from django.utils.translation import gettext_lazy as _
from rest_framework import relations, serializers
from rest_framework.settings import api_settings

from .converters import DATABASE_ID_MAX_DIGITS, DatabaseIdConverter

WRONG_JSON_TYPE = _("Must be a JSON {expected} (received: {received}).")
NOT_ASCII_NUMBER = _("Write the number with the digits 0-9.")

# A number written as text (a decimal in JSON, any number in a form or a query string).
# Python's int(), float() and Decimal() also read Arabic-Indic, fullwidth and other Unicode
# digits, so "١٢٣" would be 123: one value, two spellings, which no schema documents.
_ASCII_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
NUMERIC_FIELDS = (serializers.IntegerField, serializers.FloatField, serializers.DecimalField)


def is_ascii_number(text: str) -> bool:
    """True when ``text`` (surrounding spaces aside) is a plain number in the digits 0-9."""
    return bool(_ASCII_NUMBER.fullmatch(text.strip()))


def numeric_text_errors(fields, data) -> dict:
    """Numeric ``fields`` whose value in ``data`` is text that is not a plain ASCII number."""
    errors = {}
    for field in fields:
        if field.read_only or not isinstance(field, NUMERIC_FIELDS):
            continue
        if field.field_name not in data:
            continue
        values = (
            data.getlist(field.field_name) if hasattr(data, "getlist") else [data[field.field_name]]
        )
        if any(
            isinstance(value, str) and value.strip() and not is_ascii_number(value)
            for value in values
        ):
            errors[field.field_name] = [NOT_ASCII_NUMBER]
    return errors


_JSON_TYPE_NAMES = {
    "string": _("string"),
    "integer": _("integer"),
    "number": _("number"),
    "boolean": _("boolean"),
    "array": _("array"),
    "object": _("object"),
}
_TEXT_FIELDS = (
    serializers.CharField,
    serializers.DateField,
    serializers.DateTimeField,
    serializers.TimeField,
    serializers.DurationField,
    serializers.UUIDField,
)


def _json_type(value) -> str:
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, Mapping):
        return "object"
    return "array"


def _is_integer(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _expected_type(field) -> tuple[str, Callable[[Any], bool]] | None:
    """The JSON type the schema documents for ``field`` and a test for it; None: unchecked."""
    if isinstance(field, serializers.BooleanField):
        return "boolean", lambda value: isinstance(value, bool)
    if isinstance(field, (serializers.ManyRelatedField, serializers.ListField)):
        return "array", lambda value: isinstance(value, list)
    if isinstance(field, serializers.MultipleChoiceField):
        return "array", lambda value: isinstance(value, list)
    if isinstance(field, serializers.ChoiceField):
        keys = [key for key in field.choices if key not in ("", None)]
        if keys and all(_is_integer(key) for key in keys):
            return "integer", _is_integer
        if keys and all(isinstance(key, str) for key in keys):
            return "string", lambda value: isinstance(value, str)
        return None
    if isinstance(field, serializers.IntegerField):
        return "integer", _is_integer
    if isinstance(field, serializers.FloatField):
        return "number", _is_number
    if isinstance(field, serializers.DecimalField):
        # Documented as a string unless the field writes numbers (drf-spectacular's reading).
        if not getattr(field, "coerce_to_string", api_settings.COERCE_DECIMAL_TO_STRING):
            return "number", _is_number
        return "string", lambda value: isinstance(value, str)
    if isinstance(field, _TEXT_FIELDS):
        return "string", lambda value: isinstance(value, str)
    if isinstance(field, relations.PrimaryKeyRelatedField):
        # drf-stubs declare `queryset` (a Manager among others) on the class, so mypy reads it
        # through Manager.__get__ as if it were a model's manager descriptor.
        queryset = field.queryset  # type: ignore[arg-type]
        pk = queryset.model._meta.pk if queryset is not None else None
        if isinstance(pk, (models.AutoField, models.IntegerField)):
            return "integer", _is_integer
        return None
    if isinstance(field, serializers.ListSerializer):
        return "array", lambda value: isinstance(value, list)
    if isinstance(field, serializers.Serializer):
        return "object", lambda value: isinstance(value, Mapping)
    return None


def json_input_errors(serializer, data: Mapping) -> dict:
    """Fields of ``serializer`` whose value in ``data`` has another JSON type than documented,
    or is a text longer than the field's limit; nested serializers are checked in turn."""
    errors: dict = {}
    for field in serializer.fields.values():
        if field.read_only or field.field_name not in data:
            continue
        value = data[field.field_name]
        if value is None:
            continue  # DRF answers null itself, from allow_null.
        expected = _expected_type(field)
        if expected is not None and not expected[1](value):
            errors[field.field_name] = [
                WRONG_JSON_TYPE.format(
                    expected=_JSON_TYPE_NAMES[expected[0]],
                    received=_JSON_TYPE_NAMES[_json_type(value)],
                )
            ]
        elif isinstance(field, serializers.ManyRelatedField):
            child_errors = _item_errors(field.child_relation, value)
            if child_errors:
                errors[field.field_name] = child_errors
        elif isinstance(field, serializers.Serializer):
            nested = json_input_errors(field, value)
            if nested:
                errors[field.field_name] = nested
        elif (
            isinstance(field, serializers.CharField)
            and field.max_length is not None
            and len(value) > field.max_length
        ):
            # DRF measures after trimming; the schema's maxLength measures what is sent.
            errors[field.field_name] = [
                field.error_messages["max_length"].format(max_length=field.max_length)
            ]
    return errors


def _item_errors(child, items: list) -> dict:
    expected = _expected_type(child)
    if expected is None:
        return {}
    return {
        index: [
            WRONG_JSON_TYPE.format(
                expected=_JSON_TYPE_NAMES[expected[0]], received=_JSON_TYPE_NAMES[_json_type(item)]
            )
        ]
        for index, item in enumerate(items)
        if item is not None and not expected[1](item)
    }


def _is_form_data(data) -> bool:
    # Parsed form encodings are QueryDicts (getlist); parsed JSON is a plain dict.
    return hasattr(data, "getlist")


# The mixin's methods call the serializer's own (super(), self.fields): a type checker sees it
# as a Serializer, while at run time it stays a plain mixin in front of one.
if TYPE_CHECKING:
    _SerializerBase = serializers.Serializer
else:
    _SerializerBase = object


class StrictJSONMixin(_SerializerBase):
    """For input serializers: JSON values of another type than documented are refused."""

    def to_internal_value(self, data):
        if not isinstance(data, Mapping):
            return super().to_internal_value(data)
        if _is_form_data(data):
            type_errors = numeric_text_errors(self.fields.values(), data)
        else:
            type_errors = {
                **numeric_text_errors(self.fields.values(), data),
                **json_input_errors(self, data),
            }
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            detail = exc.detail if isinstance(exc.detail, Mapping) else {}
            raise serializers.ValidationError({**detail, **type_errors}) from exc
        if type_errors:
            raise serializers.ValidationError(type_errors)
        return value


class InputSerializer(StrictJSONMixin, serializers.Serializer):
    """Base of the request-body serializers that are not tied to a model."""


class InputModelSerializer(StrictJSONMixin, serializers.ModelSerializer):
    """Base of the request-body serializers built from a model."""


# --- Database ids ----------------------------------------------------------------------------

MAX_DATABASE_ID = 10**DATABASE_ID_MAX_DIGITS - 1
DATABASE_ID = re.compile(DatabaseIdConverter.regex)


class DatabaseIdRelatedField(serializers.PrimaryKeyRelatedField):
    """A primary key that can be a database id (1 to 18 digits) before it is looked up: an id
    out of that range is simply one that does not exist, not a query that overflows."""

    def to_internal_value(self, data):
        if isinstance(data, int) and not isinstance(data, bool) and not 0 < data <= MAX_DATABASE_ID:
            self.fail("does_not_exist", pk_value=data)
        if isinstance(data, str) and not DATABASE_ID.fullmatch(data):
            # A form sends text; int() would read "٧" or "７" as 7.
            self.fail("incorrect_type", data_type="str")
        return super().to_internal_value(data)


class DatabaseIdField(serializers.IntegerField):
    """An id in a query string or body: 1 to 18 ASCII digits (``int()`` would also read "٧"
    or "７", and a longer number cannot be an id)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_DATABASE_ID)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, str) and not DATABASE_ID.fullmatch(data.strip()):
            self.fail("invalid")
        return super().to_internal_value(data)
