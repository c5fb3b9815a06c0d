"""The ASGI application of a host that serves HTTP through Django and WebSockets through
Channels (the ``channels`` extra: ``pip install "psico-core[channels]"``).

Call :func:`get_asgi_application` itself before importing consumers or models, as Django's
own ``get_asgi_application`` must be::

    import os
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

    from psico_core.asgi import get_asgi_application, websocket_application
    django_asgi_app = get_asgi_application()

    from psico_chat.routing import chat_websocket_application  # noqa: E402

    application = websocket_application(django_asgi_app, chat_websocket_application())
"""

from __future__ import annotations

from django.conf import settings
from django.core.asgi import get_asgi_application

__all__ = ["browser_origin_validator", "get_asgi_application", "websocket_application"]

# Hosts a browser may open the socket from in development when ALLOWED_HOSTS is empty (Django
# itself serves these then).
DEBUG_LOCAL_HOSTS = ("localhost", "127.0.0.1", "[::1]")


def browser_origin_validator(application):
    """Channels' ``AllowedHostsOriginValidator``, extended to the front ends allowed by CORS.

    A web front end served from another origin (``CORS_ALLOWED_ORIGINS``) would be refused if
    only ``ALLOWED_HOSTS`` were checked. A handshake without ``Origin`` is still refused:
    clients outside a browser send one of the site's own origins.
    """
    from channels.security.websocket import OriginValidator

    allowed_hosts = list(settings.ALLOWED_HOSTS)
    if settings.DEBUG and not allowed_hosts:
        allowed_hosts = list(DEBUG_LOCAL_HOSTS)
    cors_origins = list(getattr(settings, "CORS_ALLOWED_ORIGINS", ()))
    return OriginValidator(application, allowed_hosts + cors_origins)


def websocket_application(http_application, websocket_application):
    """``ProtocolTypeRouter``: HTTP to ``http_application`` (Django's, already set up), the
    WebSocket to ``websocket_application`` behind :func:`browser_origin_validator`."""
    from channels.routing import ProtocolTypeRouter

    return ProtocolTypeRouter(
        {
            "http": http_application,
            "websocket": browser_origin_validator(websocket_application),
        }
    )
