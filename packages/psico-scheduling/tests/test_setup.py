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
        ({"EVENT_RELAY_BATCH_SIZE": 0}, "psico_scheduling.E006"),
        ({"EVENT_RELAY_RETRY_DELAYS_SECONDS": ()}, "psico_scheduling.E007"),
        ({"EVENT_RELAY_RETRY_DELAYS_SECONDS": (30, -1)}, "psico_scheduling.E007"),
        ({"EVENT_RELAY_RETRY_DELAYS_SECONDS": 30}, "psico_scheduling.E007"),
        ({"WAITLIST_HOLD_MINUTES": 0}, "psico_scheduling.E008"),
        ({"WAITLIST_HOLD_MINUTES": "30"}, "psico_scheduling.E008"),
        ({"WAITLIST_HOLD_MINUTES": 7 * 24 * 60 + 1}, "psico_scheduling.E008"),
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


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    from django.utils import translation
    from drf_spectacular.generators import SchemaGenerator

    with django_db_blocker.unblock(), translation.override("en"):
        return SchemaGenerator().get_schema(request=None, public=True)


def test_every_time_of_day_is_documented_as_hh_mm(schema):
    times = [
        (name, properties[field])
        for name, component in schema["components"]["schemas"].items()
        for properties in [component.get("properties", {})]
        for field in ("start_time", "end_time")
        if field in properties
    ]

    assert {name for name, _ in times} >= {
        "Appointment",
        "AppointmentCreate",
        "AvailabilityRule",
        "AvailabilityRuleCreate",
        "BlockedDate",
        "BlockedDateCreate",
        "Slot",
    }
    for _name, field in times:
        assert field["type"] == "string" and "format" not in field
        assert field["pattern"] == r"^([01]\d|2[0-3]):[0-5]\d$"


def test_operations_describe_themselves_not_a_mixin(schema):
    descriptions = [
        operation.get("description", "")
        for path in schema["paths"].values()
        for operation in path.values()
    ]

    assert not any("ValidationError" in text for text in descriptions)


def test_the_public_availability_list_documents_optional_credentials(schema):
    listing = schema["paths"]["/api/appointments/availability/"]["get"]

    assert {} in listing["security"]
    assert {"401", "403"} <= set(listing["responses"])


def test_error_answers_are_described_by_the_schema_class_with_a_body(schema):
    """Views name the status codes a service adds; the words and the body are the schema
    class's: the role's own message for a permission, one text per kind of refusal."""
    transitions = "/api/appointments/appointments/{id}/confirm/"
    confirm = schema["paths"][transitions]["post"]["responses"]
    assert confirm["400"]["description"] == (
        "A business rule refused the request: the message says which."
    )
    assert confirm["403"]["description"] == "Your role may not do this to this object."
    booking = schema["paths"]["/api/appointments/appointments/"]["post"]["responses"]
    assert booking["403"]["description"] == (
        "Only patients, or the clinic for a patient, can book appointments."
    )
    for path in schema["paths"].values():
        for operation in path.values():
            for code, response in operation["responses"].items():
                if code.startswith("4"):
                    assert "derived by" not in response["description"]
                    assert "content" in response, (operation["operationId"], code)
