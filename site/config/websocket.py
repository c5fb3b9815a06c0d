"""Which pages may open the chat WebSocket."""

from channels.security.websocket import OriginValidator
from django.conf import settings


def browser_origin_validator(application):
    """Channels' ``AllowedHostsOriginValidator``, extended to the front ends allowed by CORS.

    The clinic's web front end is served from another origin (``CORS_ALLOWED_ORIGINS``), so
    checking ``ALLOWED_HOSTS`` alone would refuse its chat. A handshake without ``Origin`` is
    still refused: clients outside a browser send one of the site's own origins.
    """
    allowed_hosts = list(settings.ALLOWED_HOSTS)
    if settings.DEBUG and not allowed_hosts:
        allowed_hosts = ["localhost", "127.0.0.1", "[::1]"]
    return OriginValidator(application, allowed_hosts + list(settings.CORS_ALLOWED_ORIGINS))
