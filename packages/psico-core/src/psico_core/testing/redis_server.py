"""A Redis server of one test alone, which the test may stop and start again.

Tests of what happens while Redis is down must never stop the Redis other suites share: they
run their own ``redis-server`` on a free port, without persistence, through
:class:`PrivateRedis` (or the ``private_redis`` fixture of the pytest plugin).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time

START_TIMEOUT = 10.0


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def redis_server_installed() -> bool:
    return shutil.which("redis-server") is not None


class PrivateRedis:
    """``redis-server`` on 127.0.0.1 at a free port (the same port after a restart)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self._workdir = tempfile.TemporaryDirectory(prefix="psico-redis-")

    @property
    def url(self) -> str:
        """``redis://127.0.0.1:<port>/0``."""
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def ping(self) -> bool:
        """True when the server answers PING (a raw RESP exchange: no client library)."""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"*1\r\n$4\r\nPING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def start(self) -> None:
        """Start it and wait until it answers; RuntimeError when it does not in time."""
        self.process = subprocess.Popen(
            [
                "redis-server",
                *("--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no", "--dir", self._workdir.name),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.ping():
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"redis-server on port {self.port} did not answer PING")

    def stop(self) -> None:
        """Shut it down (an outage as clients see it: the port refuses connections)."""
        process, self.process = self.process, None
        if process is None:
            return
        process.terminate()
        try:
            process.wait(timeout=START_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=START_TIMEOUT)

    def close(self) -> None:
        self.stop()
        self._workdir.cleanup()
