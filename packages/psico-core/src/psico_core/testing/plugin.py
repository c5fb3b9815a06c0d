"""pytest plugin (registered through the ``pytest11`` entry point): generic fixtures of the
Psico test suites, needing no Psico app.

Django is imported inside the fixtures, so loading the plugin never touches it before
pytest-django has configured it.
"""

from __future__ import annotations

import os

import pytest


def pytest_addhooks(pluginmanager):
    from . import hooks

    pluginmanager.add_hookspecs(hooks)


def _token_key(config, user) -> str:
    key = config.hook.pytest_psico_api_token(user=user)
    if key is None:
        from rest_framework.authtoken.models import Token

        key = Token.objects.get_or_create(user=user)[0].key
    return key


@pytest.fixture
def api_client_for(db, pytestconfig):
    """A factory of DRF test clients: ``api_client_for(user)`` authenticates with a new token
    (the ``pytest_psico_api_token`` hook's, else DRF's authtoken), ``api_client_for(None)`` is
    anonymous; ``language="en"`` sets Accept-Language."""
    from rest_framework.test import APIClient

    def make(user=None, *, language: str | None = None) -> APIClient:
        client = APIClient()
        if user is not None:
            client.credentials(HTTP_AUTHORIZATION=f"Token {_token_key(pytestconfig, user)}")
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


@pytest.fixture
def smtp_server(settings):
    """A started :class:`~psico_core.testing.mail.SMTPServer` of this test alone, which it may
    stop and start again; this process's email goes to it (a worker's too, through
    :mod:`psico_core.testing.worker`). Needs aiosmtpd (the ``testing`` extra)."""
    from .mail import SMTPServer, smtp_email_settings

    server = SMTPServer()
    server.start()
    for name, value in smtp_email_settings(server.port).items():
        setattr(settings, name, value)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def database_tasks(settings):
    """Tasks go to the database (django-tasks-db), where a worker finds them, instead of running
    when they are enqueued. Pair it with ``django_db(transaction=True)``: a worker reads only
    committed rows."""
    from psico_core.tasks_compat import DATABASE_BACKEND

    settings.TASKS = {"default": {"BACKEND": DATABASE_BACKEND}}
