"""Views of the host itself (everything else comes from the psico_* packages)."""

import logging

from asgiref.sync import sync_to_async
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from psico_chat.health import channel_layer_ok
from rest_framework.exceptions import NotFound

logger = logging.getLogger(__name__)


def database_ok() -> bool:
    """True when the default database answers ``SELECT 1``."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        # A probe reports; it never turns a failing dependency into a 500.
        logger.exception("Health check: the database did not answer.")
        return False


async def channel_layer_reachable() -> bool:
    """True when a message makes a round trip through the default channel layer."""
    try:
        return await channel_layer_ok()
    except Exception:
        # A layer that cannot even be built (bad CHANNEL_LAYERS) fails before the probe's
        # own error handling.
        logger.exception("Health check: the channel layer is not usable.")
        return False


@never_cache
@require_safe
async def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database and the channel layer answer, else 503 naming what failed."""
    checks = {
        "database": await sync_to_async(database_ok)(),
        "channel_layer": await channel_layer_reachable(),
    }
    body = {name: "ok" if ok else "unavailable" for name, ok in checks.items()}
    return JsonResponse(body, status=200 if all(checks.values()) else 503)


def not_found(request: HttpRequest, exception: Exception):
    """404 for a URL no route matches: under /api/ in the API's JSON shape (clients and the
    OpenAPI schema expect ``{"detail": ...}``, e.g. for ``/api/users/abc/``), elsewhere
    Django's page."""
    if request.path_info.startswith("/api/"):
        return JsonResponse({"detail": str(NotFound.default_detail)}, status=404)
    return defaults.page_not_found(request, exception)
