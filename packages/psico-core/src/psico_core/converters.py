"""A path converter for database ids, registered as ``psico_id`` on import.

Django's ``int`` converter matches any run of digits, so ``/users/99999999999999999999/``
reaches the database and overflows PostgreSQL's bigint (a 500). Eighteen digits stay
below the bigint maximum (9,223,372,036,854,775,807), so a longer id simply does not
match the route: a 404 before any query.

Use it in a ``path()`` as ``<psico_id:pk>`` after ``import psico_core.converters``,
or on a DRF viewset as ``lookup_value_converter = "psico_id"``.
"""

from django.urls import register_converter
from django.urls.converters import get_converters

DATABASE_ID_MAX_DIGITS = 18


class DatabaseIdConverter:
    regex = f"[0-9]{{1,{DATABASE_ID_MAX_DIGITS}}}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int | str) -> str:
        return str(value)


# Registering twice raises; the guard keeps a re-import (reload in a shell) harmless.
if "psico_id" not in get_converters():
    register_converter(DatabaseIdConverter, "psico_id")
