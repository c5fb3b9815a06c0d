"""Developer tasks: ``python3 -m nox -s demo`` (run the site), ``tests``, ``lint``, ``schema``...

Each session installs what it needs into its own virtualenv under ``.nox/``; nothing else has
to be installed beforehand but nox itself.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import nox
from nox.command import CommandFailed

ROOT = Path(__file__).resolve().parent
SITE = ROOT / "site"
CLIENTS = ROOT / "clients"
PACKAGES = (
    "psico-core",
    "psico-accounts",
    "psico-scheduling",
    "psico-chat",
    "psico-notifications",
    "psico-records",
)

nox.options.sessions = ["demo"]
nox.options.reuse_existing_virtualenvs = True
# pip rebuilds a local directory on every install; uv would reuse a cached wheel of an older
# state of packages/ (it keys local builds on pyproject.toml's modification time).
nox.options.default_venv_backend = "virtualenv"


def install_site(session: nox.Session, *extra: str, extras: str = "") -> None:
    """The six packages (built from this tree, not editable) plus the host's dependencies.

    pip rebuilds and reinstalls a local directory on every install, so a reused virtualenv
    always gets the current sources.
    """
    suffix = f"[{extras}]" if extras else ""
    local = [f"./packages/{name}{suffix}" for name in PACKAGES]
    session.install(*local, "-r", "site/requirements.txt", *extra)


@nox.session
def demo(session: nox.Session) -> None:
    """Run the site with demo data on http://127.0.0.1:8000 (PORT to change; -- --reset).

    Its task worker runs beside it, so password reset emails appear on the console.
    """
    install_site(session, extras="testing")
    database = SITE / "db.sqlite3"
    if "--reset" in session.posargs and database.exists():
        database.unlink()
    # An empty file (any manage.py command with DEBUG=1 creates one) holds no demo data either.
    fresh = not database.exists() or database.stat().st_size == 0
    env = {"DEBUG": "1", "DATABASE_URL": f"sqlite:///{database}"}
    session.chdir(SITE)
    session.run("python", "manage.py", "migrate", "--noinput", env=env)
    if fresh:
        for command in (
            "create_specializations",
            "populate_db",
            "create_availability",
            "populate_appointments",
            "populate_chat",
        ):
            session.run("python", "manage.py", command, env=env)
    else:
        session.log("Keeping the demo data of site/db.sqlite3 (-- --reset starts afresh).")
    port = os.environ.get("PORT", "8000")
    web_client = build_web_client(session)
    # The Procfile's worker beside the server: it sends the emails (printed on this console)
    # that requests leave in the database. No reloader: it would outlive a terminated parent.
    worker = subprocess.Popen(
        [str(Path(session.bin) / "python"), "manage.py", "db_worker", "--no-reload"],
        cwd=SITE,
        env={**os.environ, **env},
    )
    session.log(f"Psico runs on http://127.0.0.1:{port}/api/docs/ (Ctrl+C stops it)")
    if web_client:
        session.log(f"The web client: http://127.0.0.1:{port}/app/ (demo accounts: README.md)")
    else:
        session.log(
            "No web client at /app/: it needs Node.js 20.19+ and npm (then run this again)."
        )
    try:
        session.run(
            "uvicorn",
            "config.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            port,
            "--log-config",
            "config/uvicorn_logging.json",
            env=env,
        )
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=10)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


# tests, lint, types, schema and makemigrations live in tox.ini (what CI runs); these sessions
# call it.
TOX = ("tox>=4.20", "tox-uv>=1.11")


@nox.session
def tests(session: nox.Session) -> None:
    """Every suite through tox (all Pythons present); arguments go to tox, e.g. -- -e lint."""
    session.install(*TOX)
    session.run("tox", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff lint and format check: tox -e lint (-- --fix fixes what can be fixed: tox -e fix)."""
    session.install(*TOX)
    session.run("tox", "-e", "fix" if "--fix" in session.posargs else "lint")


@nox.session
def schema(session: nox.Session) -> None:
    """Regenerate site/openapi.yaml; with -- --check, only report drift (non-zero exit)."""
    session.install(*TOX)
    if "--check" in session.posargs:
        session.run("tox", "-e", "schema")
    else:
        session.run("tox", "-e", "schema", "--", "site/openapi.yaml")


@nox.session
def makemigrations(session: nox.Session) -> None:
    """Fail when a model change in any package has no migration: tox -e makemigrations."""
    session.install(*TOX)
    session.run("tox", "-e", "makemigrations")


@nox.session
def types(session: nox.Session) -> None:
    """mypy over the packages' sources and site/config: tox -e types (arguments go to mypy)."""
    session.install(*TOX)
    session.run("tox", "-e", "types", "--", *session.posargs)


@nox.session
def bench(session: nox.Session) -> None:
    """Run every benchmark script in bench/ (arguments go to each, e.g. -- --size small)."""
    requirements = ROOT / "bench" / "requirements.txt"
    extra = ["-r", str(requirements)] if requirements.exists() else []
    install_site(session, *extra, extras="testing")
    scripts = sorted(
        path
        for path in (ROOT / "bench").glob("*.py")
        if 'if __name__ == "__main__"' in path.read_text()
    )
    if not scripts:
        session.skip("bench/ has no benchmark scripts yet")
    for script in scripts:
        session.run("python", str(script.relative_to(ROOT)), *session.posargs)


@nox.session
def build(session: nox.Session) -> None:
    """Build every package's sdist and wheel into dist/, then run `twine check` on them.

    dist/ is emptied first, so it holds exactly one build of each package: what
    `pip install --find-links dist psico-chat` installs. The wheel is built from the sdist,
    which proves the sdist is complete.
    """
    session.install("build>=1.2", "twine>=6.1")
    dist = ROOT / "dist"
    for path in dist.glob("*"):
        path.unlink()
    for name in PACKAGES:
        session.run("python", "-m", "build", "--outdir", str(dist), str(ROOT / "packages" / name))
    session.run("twine", "check", "--strict", *sorted(str(path) for path in dist.glob("psico_*")))


# --- TypeScript clients (clients/: the typed API client and the reference web client) ------


def npm_ci(session: nox.Session) -> None:
    """``npm ci`` in clients/ (one lock file for both), with npm's cache inside the clone."""
    session.run(
        "npm",
        "ci",
        "--cache",
        str(CLIENTS / ".npm-cache"),
        "--prefer-offline",
        "--no-audit",
        "--no-fund",
        external=True,
    )


def build_web_client(session: nox.Session) -> bool:
    """Build clients/web into clients/web/dist (served at /app/) when npm is installed.

    A failed build is reported and the demo goes on without the web client.
    """
    if shutil.which("npm") is None:
        return False
    session.chdir(CLIENTS)
    try:
        installed = CLIENTS / "node_modules" / ".package-lock.json"
        lock = CLIENTS / "package-lock.json"
        if not installed.exists() or installed.stat().st_mtime < lock.stat().st_mtime:
            npm_ci(session)
        session.run("npm", "run", "generate", external=True)
        session.run("npm", "run", "build", external=True)
    except CommandFailed:
        session.warn("The web client did not build; the demo goes on without it.")
        return False
    finally:
        session.chdir(SITE)
    return True


@nox.session(venv_backend="none")
def clients(session: nox.Session) -> None:
    """The TypeScript clients as CI checks them: npm ci, types generated from
    site/openapi.yaml (openapi-typescript), tsc --noEmit (strict) of the typed client, its
    usage module and the web client, site/asyncapi.yaml through the AsyncAPI parser, and the
    web client's build (clients/web/dist, served at /app/). Needs Node.js 20.19+ and npm."""
    if shutil.which("npm") is None:
        session.error("npm is not installed: the clients need Node.js 20.19+ and npm.")
    session.chdir(CLIENTS)
    npm_ci(session)
    session.run("npm", "run", "generate", external=True)
    session.run("npm", "run", "typecheck", external=True)
    session.run("npm", "run", "asyncapi", external=True)
    session.run("npm", "run", "build", external=True)
