"""A queryset compiled once answers as the queryset does, in one query, for any arguments."""

import pytest
from django.contrib.auth.models import Group, User
from django.core.exceptions import ImproperlyConfigured
from psico_core.precompiled import PrecompiledQuery
from rest_framework.authtoken.models import Token

pytestmark = pytest.mark.django_db

TOKEN_WITH_USER = PrecompiledQuery(
    lambda key: Token.objects.select_related("user").filter(key=key), "sample-key"
)


@pytest.fixture
def tokens():
    return [
        Token.objects.create(user=User.objects.create_user(f"user{number}")) for number in range(3)
    ]


def test_it_answers_as_the_queryset_does_with_the_related_objects_loaded(
    tokens, django_assert_num_queries
):
    for token in tokens:
        with django_assert_num_queries(1):
            [found] = TOKEN_WITH_USER(token.key)
            assert found.user.username == token.user.username
        assert found == token
        assert found.created == token.created
        assert Token.user.is_cached(found)
        assert found._state.adding is False
        assert found._state.db == "default"


def test_no_row_is_an_empty_list(tokens):
    assert TOKEN_WITH_USER("no such key") == []
    assert TOKEN_WITH_USER("sample-key") == []


def test_several_parameters_and_rows_keep_their_order():
    groups = [Group.objects.create(name=name) for name in ("b", "a", "c")]
    query = PrecompiledQuery(
        lambda first, last: Group.objects.filter(pk__gte=first, pk__lte=last).order_by("name"),
        2_000_000_001,
        2_000_000_002,
    )
    assert query(groups[0].pk, groups[2].pk) == [groups[1], groups[0], groups[2]]
    assert query(groups[1].pk, groups[2].pk) == [groups[1], groups[2]]


@pytest.mark.parametrize(
    "build",
    [
        lambda name: Group.objects.filter(name=name).prefetch_related("permissions"),
        lambda name: Group.objects.filter(name=name).values("pk"),
        # The sample does not reach the SQL unchanged.
        lambda name: Group.objects.filter(name__icontains=name),
        # Nor only once.
        lambda name: Group.objects.filter(name=name) | Group.objects.filter(name=name),
    ],
)
def test_what_it_cannot_run_is_refused_on_first_use(build):
    with pytest.raises(ImproperlyConfigured):
        PrecompiledQuery(build, "sample")("x")


def test_it_takes_as_many_arguments_as_samples():
    with pytest.raises(TypeError):
        TOKEN_WITH_USER("a", "b")


def test_a_null_relation_is_loaded_as_none():
    user = User.objects.create_user("nobody")
    query = PrecompiledQuery(
        lambda pk: User.objects.select_related("auth_token").filter(pk=pk), 2_000_000_003
    )
    [found] = query(user.pk)
    assert User.auth_token.is_cached(found)
    assert not hasattr(found, "auth_token")
