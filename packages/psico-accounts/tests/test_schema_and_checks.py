import io

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import translation
from drf_spectacular.generators import SchemaGenerator
from psico_accounts.checks import check_reset_email_template, check_settings, check_throttle_rates


def test_openapi_schema_has_no_warnings(tmp_path):
    target = tmp_path / "schema.yaml"
    call_command(
        "spectacular", "--fail-on-warn", "--validate", "--file", str(target), stderr=io.StringIO()
    )
    schema = target.read_text()
    assert "operationId: professionals_me_partial_update" in schema
    assert "operationId: users_me_retrieve" in schema


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    with django_db_blocker.unblock(), translation.override("en"):
        return SchemaGenerator().get_schema(request=None, public=True)


def error_statuses(schema, path, method) -> set[str]:
    return {code for code in schema["paths"][path][method]["responses"] if code >= "400"}


@pytest.mark.parametrize(
    ("path", "method", "expected"),
    [
        # Anonymous endpoints without authentication: input and throttling only.
        ("/api/auth/login/", "post", {"400", "429"}),
        ("/api/auth/password-reset/", "post", {"400", "429"}),
        # Signed-in users: 401 without credentials; a body can be refused.
        ("/api/auth/password-change/", "post", {"400", "401"}),
        ("/api/auth/logout/", "post", {"401"}),
        ("/api/users/me/", "get", {"401"}),
        ("/api/users/me/", "patch", {"400", "401"}),
        # Clinic administrators: role (403), path ids (404), filters (400), pages (404).
        ("/api/users/", "get", {"400", "401", "403", "404"}),
        ("/api/users/", "post", {"400", "401", "403"}),
        ("/api/users/{id}/", "get", {"401", "403", "404"}),
        ("/api/users/{id}/", "delete", {"401", "403", "404"}),
        ("/api/professionals/me/", "patch", {"400", "401", "403"}),
        # The public directory authenticates nobody: filters, pages and ids only.
        ("/api/professionals/", "get", {"400", "404"}),
        ("/api/professionals/{id}/", "get", {"404"}),
        ("/api/professionals/specializations/", "get", set()),
    ],
)
def test_each_operation_documents_the_errors_its_view_answers(schema, path, method, expected):
    assert error_statuses(schema, path, method) == expected


def test_error_responses_carry_drf_error_bodies(schema):
    responses = schema["paths"]["/api/users/{id}/"]["patch"]["responses"]
    components = schema["components"]["schemas"]

    def body(code):
        return responses[code]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]

    assert body("400") == "ValidationErrorResponse"
    assert {body(code) for code in ("401", "403", "404")} == {"ErrorResponse"}
    assert components["ErrorResponse"]["required"] == ["detail"]
    assert responses["403"]["description"] == "Only clinic administrators can do this."
    throttled = schema["paths"]["/api/auth/register/"]["post"]["responses"]["429"]
    assert "Retry-After" in throttled["headers"]


def test_a_blank_model_choice_is_documented_on_read(schema):
    gender = schema["components"]["schemas"]["UserRead"]["properties"]["gender"]

    assert {"$ref": "#/components/schemas/BlankEnum"} in gender["oneOf"]


def test_the_multipart_form_of_me_documents_the_picture(schema):
    me = schema["paths"]["/api/users/me/"]["patch"]["requestBody"]["content"]
    form = me["multipart/form-data"]["schema"]["$ref"].rsplit("/", 1)[1]

    assert set(me) == {"application/json", "multipart/form-data"}
    assert set(schema["components"]["schemas"][form]["properties"]) == {"profile_picture"}


@override_settings(PSICO_ACCOUNTS={"LOGIN_THROTTLE_RATE": "lots", "UNKNOWN": 1})
def test_checks_report_bad_settings():
    assert [error.id for error in check_throttle_rates(None)] == ["psico_accounts.E004"]
    assert "psico_accounts.E001" in [error.id for error in check_settings(None)]


@pytest.mark.parametrize("delays", ["60", [60, -1], [60, True], None])
def test_checks_report_bad_email_retry_delays(settings, delays):
    settings.PSICO_ACCOUNTS = {"EMAIL_RETRY_DELAYS_SECONDS": delays}
    assert "psico_accounts.E006" in [error.id for error in check_settings(None)]


def test_the_default_email_retry_delays_pass_the_check():
    assert check_settings(None) == []


def test_check_passes_when_the_package_templates_come_first():
    assert check_reset_email_template(None) == []


def test_check_warns_when_the_admin_template_would_win(settings):
    apps = [app for app in settings.INSTALLED_APPS if app != "psico_accounts"]
    with override_settings(INSTALLED_APPS=[*apps, "psico_accounts"]):
        assert [w.id for w in check_reset_email_template(None)] == ["psico_accounts.W002"]
