"""A live Psico server for the end-to-end suite.

One server per session: a fresh PostgreSQL database, ``manage.py migrate``, the accounts from
``seed.py``, then ``python -m uvicorn config.asgi:application`` from ``site/`` with production-like
settings (DEBUG off, real ALLOWED_HOSTS, WhiteNoise serving collected static files). Tests get
its base URL and the seeded accounts; the process is stopped and the database dropped at the end.

PostgreSQL and Redis come from ``DATABASE_URL`` and ``REDIS_URL``. Without them the suite is
skipped, unless ``PSICO_REQUIRE_SERVICES=1`` (set by CI), where it fails instead so it can never
vanish silently.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
from cryptography.fernet import Fernet

REPO_ROOT = Path(__file__).resolve().parent.parent
SITE_DIR = REPO_ROOT / "site"
SCHEMA_PATH = SITE_DIR / "openapi.yaml"
E2E_DIR = Path(__file__).resolve().parent
# Another folder (and PSICO_E2E_DATABASE) lets two sessions run side by side.
ARTIFACTS_DIR = Path(os.environ.get("PSICO_E2E_ARTIFACTS") or REPO_ROOT / "artifacts" / "e2e")

SERVER_START_TIMEOUT = 90.0


@dataclass(frozen=True)
class Account:
    id: int
    email: str
    password: str
    token: str
    # The device token's id (GET /api/auth/sessions/), which the fuzz runs must not revoke.
    token_id: int
    user_type: str

    @property
    def auth_header(self) -> dict[str, str]:
        return {"Authorization": f"Token {self.token}"}


@dataclass
class LiveServer:
    base_url: str
    accounts: dict[str, Account]
    ids: dict[str, Any]
    log_path: Path
    env: dict[str, str] = field(repr=False)

    def url(self, path: str) -> str:
        return self.base_url + path

    @property
    def host(self) -> str:
        return urlsplit(self.base_url).netloc


def _require_services() -> tuple[str, str]:
    database_url = os.environ.get("DATABASE_URL", "")
    redis_url = os.environ.get("REDIS_URL", "")
    problem = None
    if not database_url.startswith(("postgres://", "postgresql://", "pgsql://")):
        problem = "DATABASE_URL must point at PostgreSQL"
    elif not redis_url.startswith("redis://"):
        problem = "REDIS_URL must point at Redis"
    if problem:
        message = f"end-to-end suite needs live services: {problem}"
        if os.environ.get("PSICO_REQUIRE_SERVICES") == "1":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return database_url, redis_url


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _recreate_database(database_url: str, name: str) -> None:
    import psycopg

    admin_url = _with_database(database_url, "postgres")
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def _drop_database(database_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(_with_database(database_url, "postgres"), autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def free_port() -> int:
    """A port nobody listens on right now (the kernel picks it for a throwaway socket)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_environment(*, database_url: str, redis_url: str) -> dict[str, str]:
    """Production-like settings for a server reachable only on this machine over plain HTTP."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "PYTEST_", "PSICO_E2E_"))
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "PYTHONPATH": str(SITE_DIR),
            "PYTHONUNBUFFERED": "1",
            "DEBUG": "False",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "CSRF_TRUSTED_ORIGINS": "http://127.0.0.1,http://localhost",
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            # Plain HTTP on the loopback interface: no TLS terminator in front of it.
            "SECURE_SSL_REDIRECT": "False",
            # As the Procfile: uvicorn believes X-Forwarded-For from no one unless told.
            "FORWARDED_ALLOW_IPS": "",
            # The fuzzer sends thousands of requests from one address; production rates would
            # answer most of them with 429 and hide the behaviour under test.
            "THROTTLE_RATE_LOGIN": "100000/min",
            "THROTTLE_RATE_REGISTER": "100000/min",
            "THROTTLE_RATE_PASSWORD_RESET": "100000/min",
            "THROTTLE_RATE_EMAIL_VERIFICATION": "100000/min",
            "STATIC_ROOT": str(ARTIFACTS_DIR / "static"),
            "MEDIA_ROOT": str(ARTIFACTS_DIR / "media"),
            # Production refuses the console backend (it would log reset codes): mail goes to
            # files with the artifacts.
            # django-environ drops the first slash of the path: "filemail:////abs/path".
            "EMAIL_URL": f"filemail:///{ARTIFACTS_DIR / 'mail'}",
            # Sealed notes and chat messages: production refuses to start without a key.
            "RECORDS_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        }
    )
    return env


def _run(args: list[str], *, env: dict[str, str], log) -> subprocess.CompletedProcess:
    result = subprocess.run(
        args, cwd=SITE_DIR, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    log.write(f"$ {' '.join(args)}\n{result.stdout}\n{result.stderr}\n")
    log.flush()
    if result.returncode != 0:
        pytest.fail(
            f"{' '.join(args)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}",
            pytrace=False,
        )
    return result


def _wait_until_healthy(process: subprocess.Popen, base_url: str, log_path: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    last_error = ""
    with httpx.Client(timeout=2.0) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(
                    f"uvicorn exited with {process.returncode}:\n{log_path.read_text()}",
                    pytrace=False,
                )
            try:
                response = client.get(base_url + "/healthz")
                if response.status_code == 200:
                    return
                last_error = f"{response.status_code} {response.text[:200]}"
            except httpx.TransportError as exc:
                last_error = repr(exc)
            # Polling a socket that is not listening yet; there is no event to await here.
            time.sleep(0.1)
    pytest.fail(f"/healthz never answered 200 ({last_error}):\n{log_path.read_text()}")


def start_server(
    env: dict[str, str], *, log_path: Path, workers: int = 1
) -> tuple[subprocess.Popen, str]:
    """``python -m uvicorn config.asgi:application`` as deployed, on a free port, once healthy.

    Its own process group, so that stopping it also stops the workers ``--workers`` forks.
    """
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    with log_path.open("w") as server_log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "config.asgi:application",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                str(workers),
                "--no-server-header",
                "--proxy-headers",
                "--forwarded-allow-ips",
                env.get("FORWARDED_ALLOW_IPS", ""),
                # As deployed (Procfile): the chat token is redacted from access logs.
                "--log-config",
                "config/uvicorn_logging.json",
            ],
            cwd=SITE_DIR,
            env=env,
            stdout=server_log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_until_healthy(process, base_url, log_path)
    except BaseException:
        stop_server(process)
        raise
    return process, base_url


def stop_server(process: subprocess.Popen) -> None:
    """SIGTERM the server's process group, SIGKILL it if it lingers."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=15)
    # Workers of --workers share the group: none may outlive its parent.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


# The fuzzer may rename, deactivate or revoke any account it reaches, so it goes last.
_ORDER = ("browser", "client", "websocket", "hostile", "outage", "fuzz")


def pytest_collection_modifyitems(items) -> None:
    def rank(item) -> int:
        for position, marker in enumerate(_ORDER):
            if item.get_closest_marker(marker):
                return position
        return len(_ORDER)

    items.sort(key=rank)


GENERATED_CLIENT_PACKAGE = "psico_api_client"


@pytest.fixture(scope="session")
def api(repo_root: Path, schema_path: Path, e2e_dir: Path):
    """The client generated from the committed schema (openapi-python-client), imported from a
    git-ignored folder; the test modules that drive the API through it share it."""
    output = repo_root / ".generated" / GENERATED_CLIENT_PACKAGE
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "openapi_python_client",
            "generate",
            "--path",
            str(schema_path),
            "--config",
            str(e2e_dir / "openapi-client.yaml"),
            "--meta",
            "none",
            "--output-path",
            str(output),
            "--overwrite",
            "--fail-on-warning",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Warning" not in result.stdout, result.stdout
    sys.path.insert(0, str(output.parent))
    importlib.invalidate_caches()
    return importlib.import_module(GENERATED_CLIENT_PACKAGE)


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def schema_path() -> Path:
    """The committed schema; PSICO_E2E_SCHEMA points at a candidate one before it is committed."""
    return Path(os.environ.get("PSICO_E2E_SCHEMA") or SCHEMA_PATH)


@pytest.fixture(scope="session")
def e2e_dir() -> Path:
    return E2E_DIR


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS_DIR


@pytest.fixture(scope="session")
def live_server(artifacts_dir: Path) -> Iterator[LiveServer]:
    database_url, redis_url = _require_services()
    name = os.environ.get("PSICO_E2E_DATABASE") or f"{urlsplit(database_url).path.lstrip('/')}_live"
    live_database_url = _with_database(database_url, name)
    _recreate_database(database_url, name)

    env = server_environment(database_url=live_database_url, redis_url=redis_url)
    python = sys.executable
    setup_log = artifacts_dir / "setup.log"
    with setup_log.open("w") as log:
        _run([python, "manage.py", "migrate", "--noinput"], env=env, log=log)
        _run([python, "manage.py", "collectstatic", "--noinput"], env=env, log=log)
        seeded = _run([python, str(E2E_DIR / "seed.py")], env=env, log=log)
    data = json.loads(seeded.stdout.strip().splitlines()[-1])

    log_path = artifacts_dir / "uvicorn.log"
    process, base_url = start_server(env, log_path=log_path)
    try:
        yield LiveServer(
            base_url=base_url,
            accounts={key: Account(**value) for key, value in data["accounts"].items()},
            ids=data["ids"],
            log_path=log_path,
            env=env,
        )
    finally:
        stop_server(process)
        if os.environ.get("PSICO_E2E_KEEP_DATABASE") != "1":
            _drop_database(database_url, name)


@pytest.fixture(scope="session")
def server_errors_in_log(live_server: LiveServer):
    """Tracebacks the server logged so far: a 5xx anywhere in the run is a bug."""

    def read() -> list[str]:
        text = live_server.log_path.read_text(errors="replace")
        return [line for line in text.splitlines() if "Traceback (most recent call last)" in line]

    return read
