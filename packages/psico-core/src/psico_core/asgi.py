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

import re

import django
from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.handlers.asgi import ASGIHandler as DjangoASGIHandler

__all__ = [
    "ASGIHandler",
    "browser_origin_validator",
    "get_asgi_application",
    "websocket_application",
]


class ASGIHandler(DjangoASGIHandler):
    """Django's ASGI handler, running the middleware chain and the view in one worker thread.

    Django's own handler runs the middleware in async mode. A middleware written the classic
    way (``MiddlewareMixin``: sessions, locale, CSRF, authentication, messages...) then calls
    each of its ``process_request`` and ``process_response`` through ``sync_to_async``, and a
    sync-only one (WhiteNoise) sends the rest of the chain back to the event loop through
    ``async_to_sync``: a dozen hand-overs between the event loop and a worker thread for one
    request to a sync view, each costing more than a simple view's own work. Here the chain is
    loaded in sync mode, as under WSGI, and the whole of it runs in one ``sync_to_async`` call;
    reading the request body and sending the response stay on the event loop. An async view
    still works (Django runs it with ``async_to_sync``, as under WSGI), at the cost of one hop
    back; none of the site's HTTP views is async but the health check.
    """

    def load_middleware(self, is_async: bool = False) -> None:
        super().load_middleware(is_async=False)

    async def get_response_async(self, request):
        return await sync_to_async(self.get_response, thread_sensitive=True)(request)


def get_asgi_application() -> ASGIHandler:
    """Django's ``get_asgi_application``, with :class:`ASGIHandler`."""
    django.setup(set_prefix=False)
    return ASGIHandler()


# Hosts a browser may open the socket from in development when ALLOWED_HOSTS is empty (Django
# itself serves these then).
DEBUG_LOCAL_HOSTS = ("localhost", "127.0.0.1", "[::1]")


def browser_origin_validator(application):
    """Channels' ``AllowedHostsOriginValidator``, extended to the front ends allowed by CORS.

    A web front end served from another origin (``CORS_ALLOWED_ORIGINS``, or one matching
    ``CORS_ALLOWED_ORIGIN_REGEXES`` as django-cors-headers matches them: ``re.match`` on the
    whole origin) would be refused if only ``ALLOWED_HOSTS`` were checked. A handshake
    without ``Origin`` is still refused: clients outside a browser send one of the site's own
    origins.
    """
    from channels.security.websocket import OriginValidator

    class CorsOriginValidator(OriginValidator):
        def __init__(self, application, allowed_origins, origin_regexes) -> None:
            super().__init__(application, allowed_origins)
            self.origin_regexes = [re.compile(pattern) for pattern in origin_regexes]

        def valid_origin(self, parsed_origin) -> bool:
            if parsed_origin is not None and any(
                pattern.match(parsed_origin.geturl()) for pattern in self.origin_regexes
            ):
                return True
            return super().valid_origin(parsed_origin)

    allowed_hosts = list(settings.ALLOWED_HOSTS)
    if settings.DEBUG and not allowed_hosts:
        allowed_hosts = list(DEBUG_LOCAL_HOSTS)
    cors_origins = list(getattr(settings, "CORS_ALLOWED_ORIGINS", ()))
    origin_regexes = list(getattr(settings, "CORS_ALLOWED_ORIGIN_REGEXES", ()))
    return CorsOriginValidator(application, allowed_hosts + cors_origins, origin_regexes)


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
