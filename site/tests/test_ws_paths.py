"""WebSocket paths that name no chat, through the site's deployed ASGI stack: closed with 4404,
never a 500 that echoes the path."""

from __future__ import annotations

import pytest
from channels.testing.websocket import WebsocketCommunicator

from tests.test_ws_access import allowed_origin

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(
    "path",
    [
        "/ws/chat/abc/",
        "/ws/chat/-1/",
        "/ws/chat/1",
        "/ws/other/",
        "/",
        "/ws/chat/99999999999999999999/",
    ],
)
async def test_a_path_that_names_no_chat_closes_with_4404(path):
    from config.asgi import application

    socket = WebsocketCommunicator(
        application, path, headers=[(b"origin", allowed_origin().encode())]
    )
    connected, _ = await socket.connect(timeout=5)
    closing = await socket.receive_output(timeout=5)
    await socket.wait(timeout=5)

    assert connected
    assert closing == {"type": "websocket.close", "code": 4404}
