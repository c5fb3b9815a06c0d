"""Settings checks and the OpenAPI schema."""

import pytest
from django.core.management import call_command
from psico_scheduling.checks import check_settings


def check_ids(settings, value):
    settings.PSICO_SCHEDULING = value
    return [error.id for error in check_settings(None)]


def test_defaults_pass(settings):
    assert check_ids(settings, {}) == []
    assert check_ids(settings, {"SLOT_STEP_MINUTES": 15, "BUFFER_MINUTES": 10}) == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"MAX_DAYS": 3}, "psico_scheduling.E001"),
        ({"MIN_NOTICE_MINUTES": -1}, "psico_scheduling.E002"),
        ({"BUFFER_MINUTES": "10"}, "psico_scheduling.E002"),
        ({"MAX_DAYS_AHEAD": 0}, "psico_scheduling.E003"),
        ({"SLOT_STEP_MINUTES": 0}, "psico_scheduling.E004"),
    ],
)
def test_bad_settings_are_reported(settings, value, expected):
    assert check_ids(settings, value) == [expected]


def test_the_schema_has_no_warnings(tmp_path):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--fail-on-warn", "--validate", "--file", str(target))
    schema = target.read_text()
    for path in (
        "/api/appointments/availability/",
        "/api/appointments/blocked-dates/",
        "/api/appointments/available-slots/",
        "/api/appointments/search-psychologists/",
        "/api/appointments/appointments/{id}/no-show/",
    ):
        assert f"{path}:" in schema
