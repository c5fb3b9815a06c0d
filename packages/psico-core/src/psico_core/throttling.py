"""A DRF throttle that counts by the connection's address and reads its rate live.

An anonymous client is the connection's address (``REMOTE_ADDR``) and nothing the client
writes: DRF's own ``get_ident`` takes the whole ``X-Forwarded-For`` header when
``NUM_PROXIES`` is unset, so a client that sends a new one on every request is never
throttled. Turning a trusted proxy's ``X-Forwarded-For`` into the client address is the ASGI
server's job (uvicorn's ``--forwarded-allow-ips``), done once, before Django sees the request.
"""

from __future__ import annotations

from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from .resilient_cache import resilient_cache


class RemoteAddressRateThrottle(SimpleRateThrottle):
    """Counts requests per client address (per user once authenticated) within ``scope``.

    The rate is ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"][scope]`` when the host sets it, else
    :meth:`default_rate` (None: no limit), so that a host without throttle settings can still
    throttle instead of failing with ImproperlyConfigured.
    """

    # A cache outage must not turn every request into a 500: counters fall back to this process.
    # DRF only calls get() and set() on it; the stubs ask for a whole BaseCache.
    cache = resilient_cache  # type: ignore[assignment]

    def get_rate(self) -> str | None:
        # DRF's own lookup reads a class attribute frozen at import time, which would ignore
        # override_settings and settings changed after start-up.
        rates = api_settings.DEFAULT_THROTTLE_RATES or {}
        if self.scope in rates:
            # drf-stubs type the rates as numbers; DRF's are texts such as "5/min".
            return rates[self.scope]  # type: ignore[return-value]
        return self.default_rate()

    def default_rate(self) -> str | None:
        """The rate when the host's settings name none for ``scope``."""
        return None

    def get_cache_key(self, request, view) -> str:
        if request.user and request.user.is_authenticated:
            ident = request.user.pk
        else:
            ident = self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}

    def get_ident(self, request) -> str:
        return request.META.get("REMOTE_ADDR") or ""
