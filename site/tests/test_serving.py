"""Production serving as documented: migrate, collectstatic, uvicorn with two workers.

One real server in a subprocess, configured only through the environment the README
documents, answers HTTP and WebSocket requests; its logs never show a token.
"""

import os
import re
import secrets
import subprocess
import sys
import threading

import httpx
import pytest
from websockets.exceptions import InvalidStatus, WebSocketException
from websockets.sync.client import connect

from .conftest import SITE_DIR

TOKEN = secrets.token_hex(20)
LISTENING = re.compile(r"Uvicorn running on http://127\.0\.0\.1:(\d+)")
WORKERS = 2


@pytest.fixture
def production_env(tmp_path):
    env = {key: os.environ[key] for key in ("PATH", "HOME") if key in os.environ}
    env.update(
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_PROXY_SSL_HEADER="HTTP_X_FORWARDED_PROTO,https",
        DATABASE_URL=f"sqlite:///{tmp_path / 'psico.sqlite3'}",
        STATIC_ROOT=str(tmp_path / "staticfiles"),
        MEDIA_ROOT=str(tmp_path / "media"),
    )
    if os.environ.get("REDIS_URL"):
        # The two workers then share the production channel layer, as deployed.
        env["REDIS_URL"] = os.environ["REDIS_URL"]
    for step in (["migrate", "--noinput"], ["collectstatic", "--noinput"]):
        result = subprocess.run(
            [sys.executable, "manage.py", *step],
            cwd=SITE_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stderr
    return env


class Server:
    """uvicorn as the Procfile runs it, on a port the kernel picks."""

    def __init__(self, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "config.asgi:application",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--workers",
                str(WORKERS),
                "--log-config",
                "config/uvicorn_logging.json",
            ],
            cwd=SITE_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        self.port = self._wait_until_serving()
        self.reader = threading.Thread(target=self._drain, daemon=True)
        self.reader.start()

    def _wait_until_serving(self) -> int:
        # The parent binds the socket, but connections are refused until a worker has started
        # listening on it: wait for every worker's startup line.
        port, ready = None, 0
        for line in self.process.stdout:
            self.lines.append(line)
            if match := LISTENING.search(line):
                port = int(match.group(1))
            elif "Application startup complete" in line:
                ready += 1
            if port and ready == WORKERS:
                return port
        raise AssertionError("uvicorn exited before serving:\n" + "".join(self.lines))

    def _drain(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> str:
        self.process.terminate()
        self.process.wait(timeout=30)
        self.reader.join(timeout=10)
        return "".join(self.lines)


@pytest.fixture
def server(production_env):
    server = Server(production_env)
    yield server
    if server.process.poll() is None:
        server.stop()


def test_uvicorn_serves_the_site_with_production_settings(server):
    https = {"X-Forwarded-Proto": "https"}
    with httpx.Client(base_url=server.url, headers=https) as client:
        health = client.get("/healthz", params={"token": TOKEN})
        assert health.status_code == 200
        assert health.json() == {"database": "ok", "channel_layer": "ok"}

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

    assert written == ['127.0.0.1:5000 - "WebSocket /ws/chat/1/?token=[redacted]" [accepted]']
