"""uvicorn processes for the benchmarks: on 127.0.0.1, on a free port, always stopped.

Each server runs in its own session (process group) so that stopping it also stops the
workers that ``--workers`` forks, and nothing else.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import harness

START_TIMEOUT_SECONDS = 60
STOP_TIMEOUT_SECONDS = 15


def free_port() -> int:
    """A port the kernel just handed out for 127.0.0.1 (bound to port 0, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _accepts_connections(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


class UvicornServer:
    """One ``python -m uvicorn <app>`` process (with its workers) serving 127.0.0.1:<port>."""

    def __init__(
        self,
        app: str,
        *,
        app_dir: Path,
        env: Mapping[str, str],
        workers: int = 1,
        label: str = "server",
    ) -> None:
        self.app = app
        self.app_dir = app_dir
        self.env = {**os.environ, **env}
        # Servers import bench.* (settings overrides, the echo app) and the site's config.
        self.env["PYTHONPATH"] = os.pathsep.join(
            filter(
                None,
                [str(harness.REPO_DIR), str(harness.SITE_DIR), self.env.get("PYTHONPATH", "")],
            )
        )
        self.workers = workers
        self.label = label
        self.port = 0
        self.process: subprocess.Popen | None = None
        self.log = tempfile.NamedTemporaryFile(  # noqa: SIM115 (closed in stop())
            prefix=f"psico-bench-{label}-", suffix=".log", delete=False
        )

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Start it and wait until it accepts connections; retry on another port if taken."""
        for _attempt in range(3):
            self.port = free_port()
            command = [
                sys.executable,
                "-m",
                "uvicorn",
                self.app,
                "--app-dir",
                str(self.app_dir),
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--workers",
                str(self.workers),
                # Access lines for every request would measure the terminal, not the server.
                "--log-level",
                "warning",
                # As the Procfile serves: no per-message deflate on WebSockets.
                "--ws-per-message-deflate",
                "false",
            ]
            self.process = subprocess.Popen(
                command,
                cwd=self.app_dir,
                env=self.env,
                stdout=self.log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            deadline = time.monotonic() + START_TIMEOUT_SECONDS
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    break
                if _accepts_connections(self.port):
                    return
                time.sleep(0.1)
            log_tail = self.log_tail()
            self.stop()
            if "address already in use" not in log_tail.lower():
                raise RuntimeError(f"{self.label} did not start:\n{log_tail}")
        raise RuntimeError(f"{self.label}: no free port after 3 attempts")

    def stop(self) -> None:
        """SIGTERM the server's process group, SIGKILL it if it lingers."""
        process, self.process = self.process, None
        if process is None:
            return
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=STOP_TIMEOUT_SECONDS)
        # Workers forked by --workers are in the same group: make sure none survives its parent.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)

    def log_tail(self, lines: int = 40) -> str:
        self.log.flush()
        text = Path(self.log.name).read_text(errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def close(self) -> None:
        self.stop()
        self.log.close()
        if os.environ.get("PSICO_BENCH_KEEP_LOGS"):
            print(f"{self.label}'s log: {self.log.name}", file=sys.stderr)
            return
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.log.name)


@contextlib.contextmanager
def running(*servers: UvicornServer) -> Iterator[tuple[UvicornServer, ...]]:
    """Start every server, yield them, and stop them all, even on error or Ctrl-C."""
    try:
        for server in servers:
            server.start()
        yield servers
    except BaseException:
        for server in servers:
            if server.process is not None:
                print(f"--- last lines of {server.label}'s log ---", file=sys.stderr)
                print(server.log_tail(), file=sys.stderr)
        raise
    finally:
        for server in servers:
            server.close()
