"""psico_core.audit: announcements with their client, the request found by the middleware."""

import pytest
from django.contrib.auth.models import AnonymousUser, User
from django.test import RequestFactory
from psico_core.audit import (
    AuditAction,
    AuditRequestMiddleware,
    audit_event,
    audit_event_sent,
    client_from_scope,
    current_request,
)


@pytest.fixture
def announced():
    events = []

    def receive(sender, *, event, **kwargs):
        events.append(event)

    audit_event_sent.connect(receive, dispatch_uid="tests.core.announced")
    yield events
    audit_event_sent.disconnect(dispatch_uid="tests.core.announced")


def test_an_event_without_a_request_has_no_client(announced):
    audit_event(action=AuditAction.LOGIN, object_type="user", object_id=7)

    [event] = announced
    assert event.action == "auth.login"
    assert (event.actor, event.object_type, event.object_id) == (None, "user", "7")
    assert (event.client.ip, event.client.user_agent) == (None, "")


@pytest.mark.django_db
def test_the_actor_defaults_to_the_signed_in_user_of_the_request(announced):
    user = User.objects.create(username="ana")
    request = RequestFactory().get("/", REMOTE_ADDR="192.0.2.9", HTTP_USER_AGENT="x" * 500)
    request.user = user

    audit_event(action=AuditAction.NOTE_READ, request=request, object_id=None)

    [event] = announced
    assert event.actor == user
    assert event.object_id == ""
    assert event.client.ip == "192.0.2.9"
    assert len(event.client.user_agent) == 300


def test_an_anonymous_request_has_no_actor(announced):
    request = RequestFactory().get("/")
    request.user = AnonymousUser()

    audit_event(action=AuditAction.LOGIN_FAILED, request=request)

    assert announced[0].actor is None


def test_the_middleware_lends_the_request_to_services(announced):
    seen = []

    def view(request):
        seen.append(current_request())
        audit_event(action=AuditAction.TOKEN_REVOKE)
        return "response"

    request = RequestFactory().get("/", REMOTE_ADDR="203.0.113.5")
    request.user = AnonymousUser()

    assert AuditRequestMiddleware(view)(request) == "response"
    assert seen == [request]
    assert announced[0].client.ip == "203.0.113.5"
    assert current_request() is None


@pytest.mark.asyncio
async def test_the_middleware_works_in_async_stacks_too():
    seen = []

    async def view(request):
        seen.append(current_request())
        return "response"

    request = RequestFactory().get("/")
    middleware = AuditRequestMiddleware(view)

    assert await middleware(request) == "response"
    assert seen == [request]
    assert current_request() is None


def test_a_socket_client_comes_from_its_scope():
    scope = {
        "client": ("198.51.100.3", 50000),
        "headers": [(b"host", b"x"), (b"user-agent", b"Navegador/1.0")],
    }

    client = client_from_scope(scope)

    assert (client.ip, client.user_agent) == ("198.51.100.3", "Navegador/1.0")
    assert client_from_scope({}).ip is None
