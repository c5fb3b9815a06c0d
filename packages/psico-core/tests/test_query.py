"""Query parameters: blank, repeated or unreadable ones are refused, never ignored."""

import pytest
from django.contrib.auth.models import Group, User

GROUPS = "/api/groups/"
QUERY = "/api/query/"


@pytest.fixture
def groups(db):
    return [Group.objects.create(name=name) for name in ("alpha", "beta", "gamma")]


def get(api_client_for, path, query: str):
    return api_client_for(None, language="en").get(f"{path}?{query}")


def test_valid_parameters_are_read(api_client_for):
    response = get(api_client_for, QUERY, "day=2026-01-02&limit=3&text=&tags=a&tags=b")
    assert response.status_code == 200
    assert response.json() == {"read": ["day", "limit", "tags", "text"]}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("limit=1&limit=2", {"limit": ["Send this parameter once."]}),
        ("day=", {"day": ["Give this parameter a value, or leave it out."]}),
        ("limit=١٢", {"limit": ["Write the number with the digits 0-9."]}),
        (
            "day=soon&limit=1&limit=2",
            {
                "day": ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."],
                "limit": ["Send this parameter once."],
            },
        ),
    ],
)
def test_bad_parameters_are_a_400(api_client_for, query, expected):
    response = get(api_client_for, QUERY, query)
    assert response.status_code == 400
    assert response.json() == expected


def test_a_filterset_reads_its_parameters(groups, api_client_for):
    response = get(api_client_for, GROUPS, f"id={groups[1].pk}&name=beta&has_users=false&kind=a")
    assert response.status_code == 200
    assert [group["name"] for group in response.json()["results"]] == ["beta"]


def test_a_boolean_filter_reads_true(groups, api_client_for):
    User.objects.create(username="u").groups.add(groups[0])
    response = get(api_client_for, GROUPS, "has_users=true")
    assert [group["name"] for group in response.json()["results"]] == ["alpha"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("id=1&id=2", {"id": ["Send this parameter once."]}),
        ("id=", {"id": ["Give this parameter a value, or leave it out."]}),
        ("id=١", {"id": ["Write the number with the digits 0-9."]}),
        ("has_users=yes", {"has_users": ["This is not a valid value for this parameter."]}),
        ("kind=z", {"kind": ["Select a valid choice. z is not one of the available choices."]}),
        ("name=a&name=b", {"name": ["Send this parameter once."]}),
    ],
)
def test_bad_filter_parameters_are_a_400(groups, api_client_for, query, expected):
    response = get(api_client_for, GROUPS, query)
    assert response.status_code == 400
    assert response.json() == expected


def test_a_multiple_choice_filter_may_repeat(groups, api_client_for):
    response = get(api_client_for, GROUPS, "ids=1&ids=2")
    assert response.status_code == 200


def test_a_blank_free_text_filter_is_no_filter(groups, api_client_for):
    response = get(api_client_for, GROUPS, "name=")
    assert response.json()["count"] == 3


def test_search_and_ordering(groups, api_client_for):
    response = get(api_client_for, GROUPS, "search=a&ordering=-name")
    assert [group["name"] for group in response.json()["results"]] == ["gamma", "beta", "alpha"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("search=a&search=b", {"search": ["Send this parameter once."]}),
        (
            "search=" + "a" * 101,
            {"search": ["Ensure this value has at most 100 characters (it has 101)."]},
        ),
        ("search=" + "+".join("w" * 11), {"search": ["Search with at most 10 words."]}),
        ("search=%00", {"search": ["Null characters are not allowed."]}),
        ("ordering=name&ordering=id", {"ordering": ["Send this parameter once."]}),
        (
            "ordering=" + "a" * 101,
            {"ordering": ["Ensure this value has at most 100 characters (it has 101)."]},
        ),
    ],
)
def test_bad_search_and_ordering_are_a_400(groups, api_client_for, query, expected):
    response = get(api_client_for, GROUPS, query)
    assert response.status_code == 400
    assert response.json() == expected


@pytest.mark.parametrize("page", ["", "last", "x", "1&page=1", "9" * 19])
def test_a_page_not_written_in_digits_once_is_not_found(groups, api_client_for, page):
    response = get(api_client_for, GROUPS, f"page={page}")
    assert response.status_code == 404


def test_a_page_in_digits_is_read(groups, api_client_for):
    assert get(api_client_for, GROUPS, "page=1").status_code == 200


def test_a_path_id_past_eighteen_digits_is_not_found_before_any_query(
    groups, api_client_for, django_assert_num_queries
):
    with django_assert_num_queries(0):
        response = api_client_for(None).get(f"{GROUPS}{'9' * 19}/")
    assert response.status_code == 404
    assert api_client_for(None).get(f"{GROUPS}{groups[0].pk}/").json()["name"] == "alpha"


def test_the_converter_writes_ids_into_urls():
    from django.urls import reverse

    assert reverse("group-detail", kwargs={"pk": 12}) == "/api/groups/12/"
