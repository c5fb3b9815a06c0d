"""Production serving as documented: migrate, collectstatic, uvicorn with two workers.

One real server in a subprocess, started with the Procfile's command line and configured only
through the environment the README documents, answers HTTP and WebSocket requests; its logs
never show a token.
"""

import os
import re
import secrets

import httpx
import pytest
from websockets.exceptions import InvalidStatus, WebSocketException
from websockets.sync.client import connect

from .live_server import Server, production_environment

TOKEN = secrets.token_hex(20)


@pytest.fixture
def production_env(tmp_path):
    # The test client plays the TLS proxy in front: uvicorn trusts its X-Forwarded-Proto.
    env = {"FORWARDED_ALLOW_IPS": "127.0.0.1"}
    if os.environ.get("REDIS_URL"):
        # The two workers then share the production channel layer, as deployed.
        env["REDIS_URL"] = os.environ["REDIS_URL"]
    return production_environment(tmp_path, **env)


@pytest.fixture
def server(production_env):
    server = Server(production_env)
    yield server
    if server.process.poll() is None:
        server.stop()


def test_uvicorn_serves_the_site_with_production_settings(server):
    https = {"X-Forwarded-Proto": "https"}
    with httpx.Client(base_url=server.url, headers=https, timeout=30) as client:
        health = client.get("/healthz", params={"token": TOKEN})
        assert health.status_code == 200
        assert health.json() == {"database": "ok", "channel_layer": "ok", "cache": "ok"}

        docs = client.get("/api/docs/")
        assert docs.status_code == 200
        assert "Strict-Transport-Security" in docs.headers
        script = re.search(r'src="(/static/[^"]+\.js)"', docs.text).group(1)
        # The manifest storage gives every asset a content hash in its name.
        assert re.search(r"\.[0-9a-f]{12}\.js$", script), script
        asset = client.get(script, headers={"Accept-Encoding": "gzip"})
        assert asset.status_code == 200
        assert asset.headers["Content-Encoding"] == "gzip"
        assert "immutable" in asset.headers["Cache-Control"]

        # Without the proxy's header the request is plain HTTP: redirected to HTTPS.
        plain = client.get("/api/docs/", headers={"X-Forwarded-Proto": "http"})
        assert plain.status_code == 301
        assert plain.headers["Location"].startswith("https://")

    ws_url = f"ws://127.0.0.1:{server.port}/ws/chat/1/?token={TOKEN}"
    try:
        with connect(ws_url, origin=server.url, open_timeout=30) as socket:
            # No per-message deflate (the Procfile turns it off): its zlib state costs about
            # 50 KiB per open socket, for chat frames of a few hundred bytes.
            assert "Sec-WebSocket-Extensions" not in socket.response.headers
            socket.recv(timeout=30)
    except (InvalidStatus, WebSocketException, TimeoutError):
        pass  # An unknown token is refused; what matters here is what the log keeps.

    logs = server.stop()
    assert "GET /healthz?token=[redacted]" in logs
    assert "/ws/chat/1/?token=[redacted]" in logs
    assert TOKEN not in logs
    assert "Traceback" not in logs
    assert "Warning" not in logs


def test_tokens_are_redacted_even_without_the_log_config():
    import logging

    import config.asgi  # noqa: F401  (attaches the filters)

    written: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: written.append(record.getMessage())
    logger = logging.getLogger("uvicorn.error")
    logger.addHandler(handler)
    try:
        logger.warning(
            '%s - "WebSocket %s" [accepted]', "127.0.0.1:5000", f"/ws/chat/1/?token={TOKEN}"
        )
    finally:
        logger.removeHandler(handler)

    # A live server of another test may still be logging on this logger from its thread.
    ours = [message for message in written if message.startswith("127.0.0.1:5000 ")]
    assert ours == ['127.0.0.1:5000 - "WebSocket /ws/chat/1/?token=[redacted]" [accepted]']
    assert not any(TOKEN in message for message in written)


def test_calendar_feed_secrets_are_redacted_even_without_the_log_config():
    import logging

    import config.asgi  # noqa: F401  (attaches the filters)

    secret = "s" * 43
    written: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: written.append(record.getMessage())
    logger = logging.getLogger("uvicorn.access")
    logger.addHandler(handler)
    try:
        logger.info(
            '%s - "%s %s HTTP/%s" %d',
            "127.0.0.1:5001",
            "GET",
            f"/api/calendar/{secret}.ics",
            "1.1",
            200,
        )
    finally:
        logger.removeHandler(handler)

    ours = [message for message in written if message.startswith("127.0.0.1:5001 ")]
    assert ours == ['127.0.0.1:5001 - "GET /api/calendar/[redacted] HTTP/1.1" 200']
    assert not any(secret in message for message in written)
