import pytest
from django.test import override_settings
from psico_core.conf import AppSettings
from psico_core.testing.settings import databases_from_env

app_settings = AppSettings("PSICO_EXAMPLE", {"LIMIT": 3})


def test_a_default_is_read_until_the_host_sets_it():
    assert app_settings.LIMIT == 3
    with override_settings(PSICO_EXAMPLE={"LIMIT": 5}):
        assert app_settings.LIMIT == 5
        assert app_settings.user_settings == {"LIMIT": 5}


def test_an_unknown_setting_is_an_attribute_error():
    with pytest.raises(AttributeError, match="PSICO_EXAMPLE"):
        app_settings.NOT_A_SETTING  # noqa: B018


def test_databases_come_from_database_url(monkeypatch):
    monkeypatch.setenv("PSICO_TEST_DB", "postgres://user:pw@db.example.com:5433/psico")
    database = databases_from_env("PSICO_TEST_DB")["default"]
    assert (database["HOST"], database["PORT"], database["NAME"]) == (
        "db.example.com",
        5433,
        "psico",
    )


def test_databases_default_to_sqlite_in_memory(monkeypatch):
    monkeypatch.delenv("PSICO_TEST_DB", raising=False)
    database = databases_from_env("PSICO_TEST_DB")["default"]
    assert database["ENGINE"] == "django.db.backends.sqlite3"
    assert database["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
