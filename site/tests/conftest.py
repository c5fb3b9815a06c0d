import os
import socket
import sys
from pathlib import Path

import pytest

SITE_DIR = Path(__file__).resolve().parent.parent


def services_required() -> bool:
    """In the PostgreSQL + Redis CI variant a missing service is a failure, not a skip."""
    return os.environ.get("PSICO_REQUIRE_SERVICES") == "1"


@pytest.fixture
def redis_url() -> str:
    url = os.environ.get("REDIS_URL", "")
    if not url:
        if services_required():
            pytest.fail("PSICO_REQUIRE_SERVICES=1 but REDIS_URL is not set")
        pytest.skip("REDIS_URL is not set")
    return url


@pytest.fixture
def closed_port() -> int:
    """A local TCP port that nothing listens on (bound once by us, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def manage_py():
    """Runs ``manage.py`` in a subprocess with exactly the given environment on top of PATH."""
    import subprocess

    def run(*args: str, env: dict[str, str], timeout: float = 120):
        base = {key: os.environ[key] for key in ("PATH", "HOME", "SYSTEMROOT") if key in os.environ}
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=SITE_DIR,
            env={**base, **env},
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    return run
