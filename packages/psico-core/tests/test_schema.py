"""The OpenAPI schema documents every operation's error answers."""

import io

import pytest
from django.core.management import call_command
from django.utils import translation
from drf_spectacular.generators import SchemaGenerator


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    with django_db_blocker.unblock(), translation.override("en"):
        return SchemaGenerator().get_schema(request=None, public=True)


def responses(schema, path, method) -> dict:
    return schema["paths"][path][method]["responses"]


def error_statuses(schema, path, method) -> set[str]:
    return {code for code in responses(schema, path, method) if code >= "400"}


def test_the_schema_validates_without_warnings(tmp_path):
    target = tmp_path / "schema.yaml"
    call_command(
        "spectacular", "--fail-on-warn", "--validate", "--file", str(target), stderr=io.StringIO()
    )
    assert "ValidationErrorResponse" in target.read_text()


@pytest.mark.parametrize(
    ("path", "method", "expected"),
    [
        # AllowAny: a 401 only for credentials sent and invalid.
        ("/api/body/", "post", {"400", "401"}),
        ("/api/service/", "post", {"400", "401"}),
        ("/api/query/", "get", {"400", "401"}),
        ("/api/form/", "post", {"401"}),
        ("/api/ping/", "get", {"401", "429"}),
        ("/api/groups/", "get", {"400", "401", "404"}),
        ("/api/groups/{id}/", "get", {"401", "404"}),
        # Signed-in clinic administrators, through an action without input.
        ("/api/action/", "post", {"400", "401", "403"}),
    ],
)
def test_each_operation_documents_the_errors_its_view_answers(schema, path, method, expected):
    assert error_statuses(schema, path, method) == expected


def test_error_answers_carry_drf_error_bodies(schema):
    invalid = responses(schema, "/api/body/", "post")["400"]
    assert invalid["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ValidationErrorResponse"
    }
    not_found = responses(schema, "/api/groups/{id}/", "get")["404"]
    assert not_found["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorResponse"
    }
    assert set(schema["components"]["schemas"]["ErrorResponse"]["properties"]) == {"detail"}


def test_a_throttled_operation_documents_retry_after(schema):
    too_many = responses(schema, "/api/ping/", "get")["429"]
    assert too_many["headers"]["Retry-After"]["schema"] == {"type": "integer"}


def test_a_service_refusal_adds_to_the_derived_description(schema):
    description = responses(schema, "/api/service/", "post")["400"]["description"]
    assert description == (
        "Invalid input: the messages per field. "
        "A business rule refused the request: the message says which."
    )


def test_a_service_refusal_of_an_action_without_input_is_described(schema):
    action = responses(schema, "/api/action/", "post")
    assert action["400"]["description"] == (
        "A business rule refused the request: the message says which."
    )
    assert action["403"]["description"] == (
        "Only clinic administrators can do this. Your role may not do this to this object."
    )
    assert action["401"]["description"] == (
        "Authentication credentials were not provided or are invalid."
    )
    anonymous = responses(schema, "/api/form/", "post")["401"]
    assert anonymous["description"] == (
        "The credentials sent are invalid (send none to use this anonymously)."
    )


def test_a_psico_id_is_documented_as_the_model_integer_id(schema):
    (parameter,) = schema["paths"]["/api/groups/{id}/"]["get"]["parameters"]
    assert parameter["schema"] == {"type": "integer"}
    assert parameter["description"] == "A unique integer value identifying this group."
