"""psico_core's token authentication: DRF's answers and refusals, one query per request."""

import pytest
from django.contrib.auth.models import User
from psico_core.authentication import TokenAuthentication
from rest_framework import authentication
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.test import APIRequestFactory

pytestmark = pytest.mark.django_db


def request_with(header: str):
    return APIRequestFactory().get("/", HTTP_AUTHORIZATION=header)


def outcome(authenticator, header: str):
    try:
        result = authenticator.authenticate(request_with(header))
    except AuthenticationFailed as refusal:
        return ("refused", str(refusal.detail))
    return result and (result[0].pk, result[1].key)


@pytest.fixture
def token():
    return Token.objects.create(user=User.objects.create_user("ana"))


def test_a_valid_token_is_the_users_in_one_query(token, django_assert_num_queries):
    with django_assert_num_queries(1):
        user, found = TokenAuthentication().authenticate(request_with(f"Token {token.key}"))
    assert (user, found) == (token.user, token)
    assert found.user is user


@pytest.mark.parametrize(
    "header",
    [
        "Token nosuchkey",
        "Token",
        "Token a b",
        "Bearer abc",
        "",
        "Token " + "x" * 500,
    ],
)
def test_every_other_header_gets_drfs_answer(token, header):
    assert outcome(TokenAuthentication(), header) == outcome(
        authentication.TokenAuthentication(), header
    )


def test_an_inactive_users_token_gets_drfs_refusal(token):
    User.objects.filter(pk=token.user.pk).update(is_active=False)
    header = f"Token {token.key}"
    assert outcome(TokenAuthentication(), header) == outcome(
        authentication.TokenAuthentication(), header
    )
    assert outcome(TokenAuthentication(), header)[0] == "refused"
