"""The HTTP + WebSocket application, with the socket refused to foreign pages."""

import asyncio
import json
import threading
from inspect import iscoroutinefunction

import pytest
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.testing import WebsocketCommunicator
from psico_core.asgi import ASGIHandler, get_asgi_application, websocket_application


class Hello(AsyncWebsocketConsumer):
    async def connect(self):
        await self.accept()
        await self.send(text_data="hello")


@pytest.fixture
def application():
    return websocket_application(get_asgi_application(), Hello.as_asgi())


async def opens(application, origin: str | None) -> bool:
    headers = [(b"origin", origin.encode())] if origin else []
    socket = WebsocketCommunicator(application, "/ws/", headers=headers)
    connected, _ = await socket.connect()
    if connected:
        assert await socket.receive_from() == "hello"
    await socket.disconnect()
    return connected


@pytest.mark.parametrize(
    ("origin", "expected"),
    [
        ("https://api.example.com", True),  # ALLOWED_HOSTS
        ("https://app.example.com", True),  # CORS_ALLOWED_ORIGINS
        ("https://evil.example.com", False),
        (None, False),
    ],
)
@pytest.mark.asyncio
async def test_the_socket_opens_from_allowed_pages_only(application, origin, expected):
    assert await opens(application, origin) is expected


@pytest.mark.asyncio
async def test_in_debug_without_hosts_localhost_may_open_it(settings):
    settings.DEBUG = True
    settings.ALLOWED_HOSTS = []
    settings.CORS_ALLOWED_ORIGINS = []
    application = websocket_application(get_asgi_application(), Hello.as_asgi())
    assert await opens(application, "http://localhost:8000") is True
    assert await opens(application, "https://api.example.com") is False


@pytest.mark.asyncio
async def test_without_debug_and_hosts_nobody_may_open_it(settings):
    settings.ALLOWED_HOSTS = []
    del settings.CORS_ALLOWED_ORIGINS
    application = websocket_application(get_asgi_application(), Hello.as_asgi())
    assert await opens(application, "http://localhost:8000") is False


def test_http_goes_to_the_application_given():
    django_application = get_asgi_application()
    application = websocket_application(django_application, Hello.as_asgi())
    assert application.application_mapping["http"] is django_application


async def http_get(application, path: str) -> tuple[int, bytes]:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver")],
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
    }
    received = False
    messages = []

    async def receive():
        nonlocal received
        if not received:
            received = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.Event().wait()  # the client stays connected

    async def send(message):
        messages.append(message)

    await application(scope, receive, send)
    body = b"".join(message.get("body", b"") for message in messages[1:])
    return messages[0]["status"], body


def test_the_middleware_chain_runs_in_sync_mode():
    handler = get_asgi_application()
    assert isinstance(handler, ASGIHandler)
    # Loaded as under WSGI: no middleware hands over to the event loop and back.
    assert not iscoroutinefunction(handler._middleware_chain)


# Where the middleware below ran, request by request.
THREADS: set[int] = set()


def thread_recorder(get_response):
    def middleware(request):
        THREADS.add(threading.get_ident())
        response = get_response(request)
        THREADS.add(threading.get_ident())
        return response

    return middleware


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_http_is_answered_through_the_middleware_in_one_thread(settings):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "tests.test_asgi.thread_recorder"]
    THREADS.clear()
    status, body = await http_get(get_asgi_application(), "/api/ping/")
    assert (status, json.loads(body)) == (200, {"pong": True})
    assert len(THREADS) == 1
    assert threading.get_ident() not in THREADS
