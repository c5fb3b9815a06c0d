"""Views of the host itself (everything else comes from the psico_* packages)."""

import asyncio
import logging
import secrets
from functools import cache

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.cache import caches
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from django.views.generic import RedirectView
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


def cache_ok() -> bool:
    """True when the default cache (where the throttles count) stores and returns a value.

    While it is down the throttles count in each process alone (psico_core.resilient_cache),
    so the site still answers, but the operator must hear of it.
    """
    key = f"psico:healthz:{secrets.token_hex(8)}"
    try:
        cache = caches["default"]
        cache.set(key, "ok", timeout=10)
        stored = cache.get(key)
        cache.delete(key)
    except Exception:
        logger.warning("Health check: the cache did not answer.", exc_info=True)
        return False
    return stored == "ok"


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
    """200 when the database, the channel layer and the cache answer, else 503 naming what
    failed. The probes run side by side, so a dead dependency costs its own timeout once."""
    database, channel_layer, cache = await asyncio.gather(
        sync_to_async(database_ok)(),
        channel_layer_reachable(),
        # Off the thread the database probe uses, so a slow cache does not queue behind it.
        sync_to_async(cache_ok, thread_sensitive=False)(),
    )
    checks = {"database": database, "channel_layer": channel_layer, "cache": cache}
    body = {name: "ok" if ok else "unavailable" for name, ok in checks.items()}
    return JsonResponse(body, status=200 if all(checks.values()) else 503)


def not_found(request: HttpRequest, exception: Exception):
    """404 for a URL no route matches: under /api/ in the API's JSON shape (clients and the
    OpenAPI schema expect ``{"detail": ...}``, e.g. for ``/api/users/abc/``), elsewhere
    Django's page."""
    if request.path_info.startswith("/api/"):
        return JsonResponse({"detail": str(NotFound.default_detail)}, status=404)
    return defaults.page_not_found(request, exception)


@cache
def _asyncapi_document() -> bytes:
    return (settings.BASE_DIR / "asyncapi.yaml").read_bytes()


@require_safe
def asyncapi(request: HttpRequest) -> HttpResponse:
    """The AsyncAPI 3.0 document of the sockets (site/asyncapi.yaml), for anyone, as the
    OpenAPI schema is."""
    return HttpResponse(_asyncapi_document(), content_type="application/yaml; charset=utf-8")


class WebClientRedirect(RedirectView):
    """``/app`` → ``/app/``, where WhiteNoise serves the web client (config.middleware)."""

    url = "/app/"
    permanent = False
    http_method_names = ["get", "head"]
