"""pytest plugin (``pytest11`` entry point): Psico chat fixtures.

Models and Channels are imported inside the fixtures, so loading the plugin never touches
Django before pytest-django has configured it.
"""

from __future__ import annotations

import pytest


@pytest.fixture
def chat_message(appointment):
    """A message from the ``appointment`` fixture's patient in that appointment's chat."""
    from .factories import ChatMessageFactory

    return ChatMessageFactory(appointment=appointment, sender=appointment.patient)


@pytest.fixture
def chat_communicator(db):
    """An async factory of ``WebsocketCommunicator`` objects for the chat socket.

    ``await chat_communicator(appointment_id, user=...)`` authenticates with the user's token in
    the query string (``token=...`` passes a raw key instead), ``session_key=...`` with a session
    cookie; with none of them the socket is anonymous.
    ``application`` defaults to the package's own stack (ChatAuthMiddlewareStack + routing).
    Connect with ``await communicator.connect()`` and always ``await communicator.disconnect()``.
    """
    from channels.db import database_sync_to_async
    from channels.testing import WebsocketCommunicator
    from django.conf import settings
    from psico_accounts.testing.tokens import token_key_for

    from ..routing import chat_websocket_application

    default_application = chat_websocket_application()

    @database_sync_to_async
    def token_key(user) -> str:
        return token_key_for(user)

    async def make(
        appointment_id: int,
        *,
        user=None,
        token: str | None = None,
        session_key: str | None = None,
        language: str | None = None,
        headers: list[tuple[bytes, bytes]] | None = None,
        application=None,
    ) -> WebsocketCommunicator:
        path = f"/ws/chat/{appointment_id}/"
        if user is not None:
            token = await token_key(user)
        if token is not None:
            path += f"?token={token}"
        all_headers = [(b"origin", b"http://localhost"), *(headers or [])]
        if session_key:
            cookie = f"{settings.SESSION_COOKIE_NAME}={session_key}"
            all_headers.append((b"cookie", cookie.encode()))
        if language:
            all_headers.append((b"accept-language", language.encode()))
        return WebsocketCommunicator(application or default_application, path, all_headers)

    return make
