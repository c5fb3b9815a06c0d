"""A service's refusal (Django's ValidationError) answered by the exception handler."""

import pytest
from django.conf import settings
from django.test import override_settings
from psico_core.checks import check_exception_handler
from rest_framework.settings import api_settings

SERVICE = "/api/service/"


def rest_framework(**overrides):
    # Over the test settings' own: a view module first imported under settings without their
    # DEFAULT_SCHEMA_CLASS would keep DRF's AutoSchema and break the schema tests.
    return override_settings(REST_FRAMEWORK={**settings.REST_FRAMEWORK, **overrides})


def drf_handler():
    return rest_framework(EXCEPTION_HANDLER="rest_framework.views.exception_handler")


@pytest.mark.parametrize(
    ("name", "body"),
    [
        ("field", {"name": ["Taken."]}),
        ("whole", {"non_field_errors": ["Closed today."]}),
        ("both", {"name": ["Taken."], "non_field_errors": ["Closed today."]}),
        ("plain", {"non_field_errors": ["Not now."]}),
        ("list", {"non_field_errors": ["One.", "Two."]}),
    ],
)
def test_a_service_refusal_is_a_400_in_drf_shape(db, api_client_for, name, body):
    response = api_client_for(None).post(SERVICE, {"name": name}, format="json")
    assert response.status_code == 400
    assert response.json() == body


def test_the_codes_of_the_refusal_are_kept(db, api_client_for):
    field = api_client_for(None).post(SERVICE, {"name": "field"}, format="json")
    whole = api_client_for(None).post(SERVICE, {"name": "whole"}, format="json")
    assert field.data["name"][0].code == "taken"
    assert whole.data["non_field_errors"][0].code == "closed"


def test_a_custom_non_field_key_takes_the_refusals_about_the_whole(db, api_client_for):
    with rest_framework(NON_FIELD_ERRORS_KEY="errors"):
        response = api_client_for(None).post(SERVICE, {"name": "whole"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"errors": ["Closed today."]}


def test_other_exceptions_get_drf_answers(db, api_client_for):
    response = api_client_for(None, language="en").post(SERVICE, {"name": "other"}, format="json")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_a_serializer_refusal_is_untouched(db, api_client_for):
    response = api_client_for(None, language="en").post(SERVICE, {}, format="json")
    assert response.status_code == 400
    assert response.json() == {"name": ["This field is required."]}


def test_the_check_passes_with_the_handler():
    assert check_exception_handler(None) == []


def test_the_check_fails_with_another_handler():
    with drf_handler():
        assert api_settings.EXCEPTION_HANDLER is not None
        errors = check_exception_handler(None)
    assert [error.id for error in errors] == ["psico_core.E001"]
    assert "psico_core.errors.exception_handler" in errors[0].hint


def test_the_check_runs_with_the_system_checks():
    from django.core import checks

    with drf_handler():
        ids = [error.id for error in checks.run_checks()]
    assert "psico_core.E001" in ids
