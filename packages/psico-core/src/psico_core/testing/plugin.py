"""pytest plugin (registered through the ``pytest11`` entry point): generic fixtures of the
Psico test suites, needing no Psico app.

Django is imported inside the fixtures, so loading the plugin never touches it before
pytest-django has configured it.
"""

from __future__ import annotations

import os

import pytest


@pytest.fixture
def api_client_for(db):
    """A factory of DRF test clients: ``api_client_for(user)`` authenticates with a token,
    ``api_client_for(None)`` is anonymous; ``language="en"`` sets Accept-Language."""
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    def make(user=None, *, language: str | None = None) -> APIClient:
        client = APIClient()
        if user is not None:
            token, _ = Token.objects.get_or_create(user=user)
            client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        if language:
            client.defaults["HTTP_ACCEPT_LANGUAGE"] = language
        return client

    return make


@pytest.fixture
def private_redis():
    """A started :class:`~psico_core.testing.redis_server.PrivateRedis` of this test alone,
    which it may stop and start again; closed afterwards. Skipped without ``redis-server``
    (a failure under ``PSICO_REQUIRE_SERVICES=1``)."""
    from .redis_server import PrivateRedis, redis_server_installed

    if not redis_server_installed():
        if os.environ.get("PSICO_REQUIRE_SERVICES") == "1":
            pytest.fail("PSICO_REQUIRE_SERVICES=1 but redis-server is not installed.")
        pytest.skip("Needs redis-server.")
    server = PrivateRedis()
    server.start()
    try:
        yield server
    finally:
        server.close()
