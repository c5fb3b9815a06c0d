"""Strict JSON and multipart reading."""

import pytest
from psico_core.parsers import (
    UnreadableJSON,
    check_json_value,
    has_lone_surrogate,
    json_loads_strict,
)

BODY = "/api/body/"
FORM = "/api/form/"


def post_raw(client, path, body: bytes, content_type: str):
    return client.generic("POST", path, body, content_type=content_type)


def test_json_within_the_limits_is_read():
    assert json_loads_strict('{"a": [1, {"b": "ñ"}]}') == {"a": [1, {"b": "ñ"}]}


@pytest.mark.parametrize(
    "text", ["NaN", "[Infinity]", '{"a": -Infinity}', "{", b"\xff", '"\\ud800"', '{"\\udfff": 1}']
)
def test_what_is_not_json_text_is_refused(text):
    with pytest.raises(UnreadableJSON):
        json_loads_strict(text)


def test_a_document_deeper_than_the_limit_is_refused():
    with pytest.raises(UnreadableJSON, match="32"):
        json_loads_strict("[" * 33 + "]" * 33)
    assert json_loads_strict("[" * 32 + "]" * 32) is not None


def test_a_document_deeper_than_python_can_parse_is_refused_not_crashed():
    with pytest.raises(UnreadableJSON, match="32"):
        json_loads_strict("[" * 200_000 + "]" * 200_000)


def test_values_built_in_python_are_checked_too():
    check_json_value({"a": ["ok", 1, None]})
    with pytest.raises(UnreadableJSON):
        check_json_value([[["x"]]], max_depth=2)
    with pytest.raises(UnreadableJSON):
        check_json_value(["\ud800"])
    assert has_lone_surrogate("a\udc00") and not has_lone_surrogate("añ")


@pytest.mark.parametrize(
    "body",
    [b"[" * 100_000, b'{"name": "\\ud800"}', b'{"name": NaN}', b"{", b'{"name": "\xff"}'],
)
def test_the_parser_answers_unreadable_json_with_a_400(db, api_client_for, body):
    response = post_raw(api_client_for(None), BODY, body, "application/json")
    assert response.status_code == 400
    assert set(response.json()) == {"detail"}


def test_the_messages_are_in_spanish_by_default(db, api_client_for):
    # psico_core's own translations: no other app of this suite has these messages.
    response = post_raw(api_client_for(None), BODY, b"{", "application/json")
    assert response.json() == {"detail": "El cuerpo no es JSON válido."}


def test_an_empty_json_body_is_a_body_without_fields(db, api_client_for):
    response = post_raw(api_client_for(None, language="en"), BODY, b"", "application/json")
    assert response.status_code == 400
    assert response.json() == {"name": ["This field is required."]}


FORM_TYPE = "multipart/form-data; boundary=XyZ"


def test_a_multipart_form_is_read(db, api_client_for):
    body = b'--XyZ\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--XyZ--\r\n'
    response = post_raw(api_client_for(None), FORM, body, FORM_TYPE)
    assert response.status_code == 200
    assert response.json() == {"fields": ["a"]}


def test_the_empty_multipart_form_is_read(db, api_client_for):
    response = post_raw(api_client_for(None), FORM, b"--XyZ--\r\n", FORM_TYPE)
    assert response.status_code == 200
    assert response.json() == {"fields": []}


@pytest.mark.parametrize("body", [b"garbage" * 100, b"--XyZ\r\n\r\nlone value\r\n--XyZ--"])
def test_a_body_that_is_not_a_form_is_refused(db, api_client_for, body):
    response = post_raw(api_client_for(None, language="en"), FORM, body, FORM_TYPE)
    assert response.status_code == 400
    assert response.json() == {"detail": "The body is not a complete multipart form."}


def test_a_multipart_body_without_a_boundary_is_refused_by_django(db, api_client_for):
    response = post_raw(api_client_for(None), FORM, b"a=1", "multipart/form-data")
    assert response.status_code == 400
