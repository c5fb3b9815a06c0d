"""A stranger installs one package from dist/ into a new Django project, following its README.

For each package, in a fresh virtualenv: run the README's `pip install` line against dist/
(the siblings come from there, third-party packages from the index), `django-admin
startproject config`, apply the README's marked settings, urls.py and asgi.py snippets as
written, run `manage.py check` and the README's commands (migrate, ...), then serve the
project with `runserver` and register and log in over HTTP.

Every package brings psico-core, psico-scheduling brings psico-accounts, psico-chat,
psico-notifications and psico-records bring both: the runs cover accounts alone, accounts +
scheduling, and each of the three packages on top of them. dist/ is built once per run
(sdists and wheels, checked by `twine check --strict`).
"""

from __future__ import annotations

import json
import os
import shlex
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from readme_snippets import marked_snippets, wheel_readme

ROOT = Path(__file__).resolve().parent.parent
# The apps a stranger installs; psico-core is built into dist/ too and must come along with
# each of them as a dependency (it has no URLs of its own to try).
PACKAGES = (
    "psico-accounts",
    "psico-scheduling",
    "psico-chat",
    "psico-notifications",
    "psico-records",
)
BUILT = ("psico-core", *PACKAGES)
STARTED = time.monotonic()


def log(message: str) -> None:
    print(f"[{time.monotonic() - STARTED:6.1f}s] {message}", flush=True)


def run(command: list[str], *, cwd: Path | None = None, env: dict | None = None) -> str:
    """Run a command; on failure, fail the test with its whole output."""
    result = subprocess.run(
        command,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    if result.returncode != 0:
        pytest.fail(f"`{shlex.join(command)}` exited {result.returncode}:\n{result.stdout}")
    return result.stdout


@pytest.fixture(scope="session")
def dist() -> Path:
    """dist/ with an sdist and a wheel of every package, built from this tree."""
    dist = ROOT / "dist"
    dist.mkdir(exist_ok=True)
    for path in dist.glob("*"):
        path.unlink()
    for name in BUILT:
        # uv builds the sdist, then the wheel from the sdist: a file missing from the sdist
        # breaks the wheel.
        run(["uv", "build", "--quiet", "--out-dir", str(dist), str(ROOT / "packages" / name)])
    built = sorted(str(path) for path in dist.glob("psico_*"))
    log("built " + ", ".join(Path(path).name for path in built))
    print(run([sys.executable, "-m", "twine", "check", "--strict", *built]), end="")
    return dist


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def post_json(url: str, body: dict) -> tuple[int, dict]:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Accept-Language": "en"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def wait_until_serving(server: subprocess.Popen, port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"runserver exited {server.returncode}:\n{server.stdout.read()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    pytest.fail("runserver did not listen within 60 s")


@pytest.mark.parametrize("package", PACKAGES)
def test_a_stranger_installs_it_from_its_readme(package: str, dist: Path, tmp_path: Path):
    wheel = next(dist.glob(f"{package.replace('-', '_')}-*.whl"))
    snippets = marked_snippets(wheel_readme(wheel))

    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", str(venv)])
    python = venv / "bin" / "python"
    for line in snippets["install"].splitlines():
        words = shlex.split(line, comments=True)
        if not words:
            continue
        assert words[:2] == ["pip", "install"], f"not a pip install line: {line}"
        log(f"{package}: {line.split('#')[0].strip()} --find-links dist/")
        run([str(python), "-m", "pip", "install", "--find-links", str(dist), *words[2:]])
    installed = run([str(python), "-m", "pip", "list", "--format=freeze"]).split()
    psico = sorted(line for line in installed if line.startswith("psico-"))
    django = [line for line in installed if line.lower().startswith("django==")]
    log(f"{package}: installed {', '.join(psico + django)}")
    assert any(line.startswith("psico-core==") for line in psico), psico

    project = tmp_path / "site"
    project.mkdir()  # Django 5.2's startproject does not create it
    run([str(venv / "bin" / "django-admin"), "startproject", "config", str(project)])
    config = project / "config"
    with (config / "settings.py").open("a") as settings:
        settings.write(f"\n\n# From the README of {package}.\n{snippets['settings']}")
    (config / "urls.py").write_text(snippets["urls"])
    if "asgi" in snippets:
        (config / "asgi.py").write_text(snippets["asgi"])
    manage = [str(python), "manage.py"]

    # Warnings fail too: psico_accounts.W002 reports an INSTALLED_APPS order the README got
    # wrong.
    log(f"{package}: " + run([*manage, "check", "--fail-level", "WARNING"], cwd=project).strip())
    for line in snippets["commands"].splitlines():
        words = shlex.split(line, comments=True)
        if not words:
            continue
        assert words[:2] == ["python", "manage.py"], f"not a manage.py line: {line}"
        run([*manage, *words[2:]], cwd=project)
        log(f"{package}: {line.strip()}: ok")
    if "asgi" in snippets:
        run([str(python), "-c", "import config.asgi"], cwd=project)
        log(f"{package}: config.asgi imports")

    port = free_port()
    server = subprocess.Popen(
        [*manage, "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_until_serving(server, port)
        api = f"http://127.0.0.1:{port}/api/auth"
        credentials = {"email": "lucia.rojas@example.com", "password": "Un-sol-de-invierno-42"}
        status, body = post_json(
            f"{api}/register/",
            {**credentials, "first_name": "Lucía", "last_name": "Rojas", "ci": "6543210"},
        )
        assert status == 201, body
        assert body["token"] and body["user"]["email"] == credentials["email"]
        log(f"{package}: POST /api/auth/register/ -> {status}, a {body['user']['user_type']}")
        status, body = post_json(f"{api}/login/", credentials)
        assert status == 200, body
        assert body["token"]
        log(f"{package}: POST /api/auth/login/ -> {status}, a token")
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
