"""Request bodies read with the JSON types the schema documents."""

import pytest
from django.contrib.auth.models import Group
from psico_core.payloads import is_ascii_number

BODY = "/api/body/"


def post(client, body, **kwargs):
    return client.post(BODY, body, format=kwargs.pop("format", "json"), **kwargs)


def test_values_of_the_documented_types_are_read(db, api_client_for):
    group = Group.objects.create(name="a")
    body = {
        "name": "ok",
        "count": 3,
        "ratio": 1.5,
        "price": "2.50",
        "exact": 2.5,
        "active": True,
        "tags": ["x"],
        "colour": "red",
        "level": 1,
        "mixed": 0.5,
        "day": "2026-01-02",
        "group": group.pk,
        "groups": [group.pk],
        "owner": 7,
        "point": {"x": 1},
        "points": [{"x": 2}],
        "anything": {"free": [1]},
    }
    response = post(api_client_for(None), body)
    assert response.status_code == 200, response.json()
    assert response.json() == {"read": sorted(body)}


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("name", 0, "Must be a JSON string (received: integer)."),
        ("count", "5", "Must be a JSON integer (received: string)."),
        ("count", True, "Must be a JSON integer (received: boolean)."),
        ("ratio", "1.5", "Must be a JSON number (received: string)."),
        ("price", 2.5, "Must be a JSON string (received: number)."),
        ("exact", "2.5", "Must be a JSON number (received: string)."),
        ("active", 1, "Must be a JSON boolean (received: integer)."),
        ("tags", {"a": 1}, "Must be a JSON array (received: object)."),
        ("colour", 1, "Must be a JSON string (received: integer)."),
        ("level", "1", "Must be a JSON integer (received: string)."),
        ("day", 20260102, "Must be a JSON string (received: integer)."),
        ("group", "1", "Must be a JSON integer (received: string)."),
        ("point", [1], "Must be a JSON object (received: array)."),
        ("points", {"x": 1}, "Must be a JSON array (received: object)."),
    ],
)
def test_a_value_of_another_json_type_is_a_400(db, api_client_for, field, value, expected):
    response = post(api_client_for(None, language="en"), {"name": "ok", field: value})
    assert response.status_code == 400
    assert response.json()[field] == [expected]


def test_items_and_nested_fields_are_checked_too(db, api_client_for):
    response = post(
        api_client_for(None, language="en"),
        {"name": "ok", "groups": [1, "2", None], "point": {"x": "1"}},
    )
    assert response.status_code == 400
    assert response.json()["groups"] == {"1": ["Must be a JSON integer (received: string)."]}
    assert response.json()["point"] == {"x": ["Must be a JSON integer (received: string)."]}


def test_a_text_is_measured_as_sent(db, api_client_for):
    response = post(api_client_for(None, language="en"), {"name": "abcde "})
    assert response.status_code == 400
    assert response.json() == {"name": ["Ensure this field has no more than 5 characters."]}


def test_type_errors_join_drf_errors(db, api_client_for):
    response = post(api_client_for(None, language="en"), {"count": "x"})
    assert response.status_code == 400
    assert response.json() == {
        "name": ["This field is required."],
        "count": ["Must be a JSON integer (received: string)."],
    }


def test_a_body_that_is_not_an_object_gets_drf_answer(db, api_client_for):
    response = post(api_client_for(None, language="en"), [1, 2])
    assert response.status_code == 400
    assert set(response.json()) == {"non_field_errors"}


@pytest.mark.parametrize("number", ["١٢", "１２", "1e3"])
def test_a_form_writes_numbers_in_ascii_digits(db, api_client_for, number):
    response = post(
        api_client_for(None, language="en"), {"name": "ok", "count": number}, format="multipart"
    )
    assert response.status_code == 400
    assert response.json() == {"count": ["Write the number with the digits 0-9."]}


def test_a_form_number_in_ascii_digits_is_read(db, api_client_for):
    response = post(api_client_for(None), {"name": "ok", "count": " 12 "}, format="multipart")
    assert response.status_code == 200


def test_a_json_decimal_written_in_other_digits_is_refused(db, api_client_for):
    response = post(api_client_for(None, language="en"), {"name": "ok", "price": "٢.٥"})
    assert response.status_code == 400
    assert response.json() == {"price": ["Write the number with the digits 0-9."]}


@pytest.mark.parametrize(
    ("text", "expected"),
    [("12", True), ("-1.5", True), (".5", True), ("1.", True), ("", False), ("1e3", False)],
)
def test_ascii_numbers(text, expected):
    assert is_ascii_number(text) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (10**18, 'Invalid pk "1000000000000000000" - object does not exist.'),
        (0, 'Invalid pk "0" - object does not exist.'),
        (123456, 'Invalid pk "123456" - object does not exist.'),
    ],
)
def test_a_related_id_out_of_range_does_not_exist(db, api_client_for, value, expected):
    response = post(api_client_for(None, language="en"), {"name": "ok", "group": value})
    assert response.status_code == 400
    assert response.json() == {"group": [expected]}


def test_a_related_id_in_a_form_is_ascii_digits(db, api_client_for):
    response = post(
        api_client_for(None, language="en"), {"name": "ok", "group": "٧"}, format="multipart"
    )
    assert response.status_code == 400
    assert response.json() == {"group": ["Incorrect type. Expected pk value, received str."]}


@pytest.mark.parametrize("owner", ["٧", "1" * 19])
def test_an_id_field_takes_up_to_eighteen_ascii_digits(db, api_client_for, owner):
    response = post(
        api_client_for(None, language="en"), {"name": "ok", "owner": owner}, format="multipart"
    )
    assert response.status_code == 400
    assert "owner" in response.json()
