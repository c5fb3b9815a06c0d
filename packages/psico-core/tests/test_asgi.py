"""The HTTP + WebSocket application, with the socket refused to foreign pages."""

import pytest
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.testing import WebsocketCommunicator
from psico_core.asgi import get_asgi_application, websocket_application


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
