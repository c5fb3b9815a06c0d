"""The models of every installed package match their committed migrations."""

from io import StringIO

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_no_missing_migrations():
    out = StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out)
    except SystemExit:
        # --check exits non-zero when a model change has no migration.
        pytest.fail(f"Models changed without a migration:\n{out.getvalue()}")
