"""ASGI entry point: HTTP through Django, WebSocket chat through Channels.

Serve with ``uvicorn config.asgi:application`` from the ``site`` folder.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

# Set up Django (apps, models) before anything imports consumers or models.
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from psico_chat.middleware import ChatAuthMiddlewareStack  # noqa: E402
from psico_chat.routing import websocket_urlpatterns  # noqa: E402

from config.websocket import browser_origin_validator  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": browser_origin_validator(
            ChatAuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)
