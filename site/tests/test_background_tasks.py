"""TASKS_BACKEND: tasks stored for the Procfile's worker by default, or run in the request."""

import runpy

import pytest
from psico_core.tasks_compat import DATABASE_BACKEND, IMMEDIATE_BACKEND

from .conftest import SITE_DIR

SETTINGS_FILE = SITE_DIR / "config" / "settings.py"


@pytest.fixture
def tasks_backend(monkeypatch):
    """The default task backend config/settings.py gives for ``TASKS_BACKEND`` (None: unset)."""

    def load(value: str | None) -> str:
        monkeypatch.setenv("DEBUG", "1")
        if value is None:
            monkeypatch.delenv("TASKS_BACKEND", raising=False)
        else:
            monkeypatch.setenv("TASKS_BACKEND", value)
        settings = runpy.run_path(str(SETTINGS_FILE))
        assert "django_tasks_db" in settings["INSTALLED_APPS"]
        return settings["TASKS"]["default"]["BACKEND"]

    return load


def test_tasks_wait_in_the_database_for_the_worker_by_default(tasks_backend):
    assert tasks_backend(None) == DATABASE_BACKEND == "django_tasks_db.DatabaseBackend"
    assert tasks_backend("database") == DATABASE_BACKEND


def test_tasks_backend_immediate_or_a_dotted_path(tasks_backend):
    assert tasks_backend("immediate") == IMMEDIATE_BACKEND
    assert tasks_backend("my_clinic.tasks.QueueBackend") == "my_clinic.tasks.QueueBackend"
