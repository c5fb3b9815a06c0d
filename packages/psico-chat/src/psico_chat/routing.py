"""WebSocket routes of the chat, and the application a host mounts under ``"websocket"``.

Every path gets an answer: ``ws/chat/<id>/`` reaches :class:`~psico_chat.consumers.ChatConsumer`,
``ws/notifications/`` the user's live events (:class:`~psico_chat.live.NotificationsConsumer`),
anything else (letters, a negative or a 19-digit id, another prefix) is accepted and closed
with 4404, like an appointment that does not exist. Channels' ``URLRouter`` would otherwise
raise on an unknown path, which the server answers with a 500.
"""

from __future__ import annotations

import psico_core.converters  # noqa: F401  (registers the "psico_id" path converter)
from channels.routing import URLRouter
from django.urls import path, re_path

from .consumers import ChatConsumer
from .live import NotificationsConsumer
from .middleware import ChatAuthMiddlewareStack
from .sockets import CLOSE_NOT_FOUND


async def refuse_unknown_path(scope, receive, send) -> None:
    """A tiny ASGI application for WebSocket paths that name no chat: close with 4404.

    Accepted first, then closed: a close before the handshake reaches clients as a bare
    HTTP 403 (see ``LayerSocketConsumer._refuse``). Nothing of the path is echoed.
    """
    message = await receive()
    if message["type"] != "websocket.connect":
        return
    await send({"type": "websocket.accept"})
    await send({"type": "websocket.close", "code": CLOSE_NOT_FOUND})


# django-stubs type a route's target as a Django view; channels routes ASGI applications.
websocket_urlpatterns = [
    # psico_id: at most 18 digits, so an id beyond PostgreSQL's bigint never reaches a query.
    path("ws/chat/<psico_id:appointment_id>/", ChatConsumer.as_asgi()),  # type: ignore[arg-type]
    path("ws/notifications/", NotificationsConsumer.as_asgi()),  # type: ignore[arg-type]
    re_path(r"", refuse_unknown_path),  # type: ignore[arg-type]
]


def chat_websocket_application():
    """The chat's WebSocket application: session, ticket or token authentication, then the
    routes above. Wrap it in an origin check, e.g. ``AllowedHostsOriginValidator``."""
    return ChatAuthMiddlewareStack(URLRouter(websocket_urlpatterns))  # type: ignore[arg-type]
