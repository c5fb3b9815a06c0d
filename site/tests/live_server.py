"""The site served as the root Procfile serves it, for tests that need a real uvicorn."""

import os
import re
import subprocess
import sys
import threading
from pathlib import Path

from .conftest import SITE_DIR

PROCFILE = SITE_DIR.parent / "Procfile"
LISTENING = re.compile(r"Uvicorn running on http://127\.0\.0\.1:(\d+)")
WORKERS = 2


def production_environment(tmp_path: Path, *, steps=("migrate", "collectstatic"), **env: str):
    """DEBUG off on a fresh SQLite database, plus ``env``; runs the release ``steps`` first."""
    import secrets

    from cryptography.fernet import Fernet

    base = {key: os.environ[key] for key in ("PATH", "HOME", "PYTHONPATH") if key in os.environ}
    base.update(
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        DATABASE_URL=f"sqlite:///{tmp_path / 'psico.sqlite3'}",
        STATIC_ROOT=str(tmp_path / "staticfiles"),
        MEDIA_ROOT=str(tmp_path / "media"),
        # Reset codes are never printed to the log in production; files stay in the test's
        # temporary directory.
        EMAIL_URL=f"filemail://{tmp_path / 'mail'}",
        # Sealed notes and chat messages: production refuses to start without a key.
        RECORDS_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
    )
    base.update(env)
    for step in steps:
        result = subprocess.run(
            [sys.executable, "manage.py", step, "--noinput"],
            cwd=SITE_DIR,
            env=base,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stderr
    return base


def procfile_web_server(procfile: str | None = None) -> str:
    """The uvicorn command of the Procfile's ``web:`` line, bound to 127.0.0.1 only."""
    text = procfile if procfile is not None else PROCFILE.read_text()
    line = next(line for line in text.splitlines() if line.startswith("web:"))
    command = line.split("exec ", 1)[1]
    assert "--host 0.0.0.0" in command, command
    return command.replace("--host 0.0.0.0", "--host 127.0.0.1")


class Server:
    """uvicorn with the Procfile's flags (expanded by the shell, as the platform does), on a
    port the kernel picks."""

    def __init__(self, env: dict[str, str], *, procfile: str | None = None) -> None:
        shell_env = {
            **env,
            # The shell finds this environment's uvicorn, as the platform finds its own.
            "PATH": os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")]),
            "PORT": "0",
            "WEB_CONCURRENCY": str(WORKERS),
        }
        self.process = subprocess.Popen(
            ["bash", "-c", "exec " + procfile_web_server(procfile)],
            cwd=SITE_DIR,
            env=shell_env,
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
        self.process.stdout.close()
        return "".join(self.lines)
