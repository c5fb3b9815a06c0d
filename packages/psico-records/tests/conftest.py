import pytest
from django.db import connection


def raw_column(table: str, column: str, pk) -> str:
    """The value as stored in the database, read with SQL around the ORM."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])  # noqa: S608
        return cursor.fetchone()[0]


@pytest.fixture
def other_professional(db):
    from psico_accounts.testing.factories import ProfessionalFactory

    return ProfessionalFactory()


@pytest.fixture
def other_patient(db):
    from psico_accounts.testing.factories import PatientFactory

    return PatientFactory()
