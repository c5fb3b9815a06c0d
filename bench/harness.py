"""What every benchmark script shares: arguments, Django set-up, a throw-away database, figures.

A script runs as ``python bench/<name>.py`` from the repository root, so this directory is first
on ``sys.path``; the repository root is added here so that ``bench.settings`` and the host's
``config`` package resolve the same way in this process and in the servers it starts.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import platform
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

REPO_DIR = Path(__file__).resolve().parent.parent
BENCH_DIR = REPO_DIR / "bench"
SITE_DIR = REPO_DIR / "site"
if str(REPO_DIR) not in sys.path:
    sys.path.insert(0, str(REPO_DIR))
# bench/http.py has the name of the standard library's http package, which Django and httpx
# import: with this folder first on sys.path, they would find the script instead. Searched
# last, it still provides harness and servers, which the standard library does not have.
_bench_entries = [entry for entry in sys.path if Path(entry or ".").resolve() == BENCH_DIR]
if _bench_entries:
    sys.path[:] = [entry for entry in sys.path if entry not in _bench_entries] + _bench_entries

DEFAULT_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/h_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/5"


def parse_args(
    description: str,
    argv: Sequence[str] | None = None,
    *,
    options: Callable[[argparse.ArgumentParser], None] | None = None,
) -> argparse.Namespace:
    """``--size small`` is the CI-sized run; ``full`` (the default) the one the README records.
    ``options`` adds a benchmark's own arguments to the parser."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--size",
        choices=["small", "full"],
        default="full",
        help="small: a quick run for CI; full: the figures recorded in bench/README.md",
    )
    if options is not None:
        options(parser)
    return parser.parse_args(argv)


def setup_django(bench_name: str, *, require_postgres: bool = False) -> None:
    """Configure Django with ``bench.settings``; the benchmark's database is named after it."""
    os.environ["PSICO_BENCH_NAME"] = bench_name
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    if require_postgres:
        url = os.environ.setdefault("DATABASE_URL", DEFAULT_POSTGRES_URL)
        if not url.startswith(("postgres://", "postgresql://", "pgsql://")):
            sys.exit(f"{bench_name}: needs PostgreSQL, but DATABASE_URL is {url!r}")
    import django

    # django-appointment's modules attach their own DEBUG handlers to stdout and print set-up
    # warnings (no django-q) as they are imported; they say nothing about what is measured.
    logging.disable(logging.WARNING)
    try:
        django.setup()
        from django.conf import settings

        if getattr(settings, "HAS_DJANGO_APPOINTMENT", False):
            import appointment.services  # noqa: F401 (imported here, silently, once)
    finally:
        logging.disable(logging.NOTSET)
    for name in list(logging.root.manager.loggerDict):
        if name == "appointment" or name.startswith("appointment."):
            logging.getLogger(name).setLevel(logging.WARNING)


@contextlib.contextmanager
def bench_database() -> Iterator[str]:
    """A freshly migrated database for this run, dropped afterwards whatever happens."""
    from django.db import connection

    with tempfile.TemporaryDirectory(prefix="psico-bench-") as scratch:
        generate_missing_migrations(Path(scratch))
        configured_name = connection.settings_dict["NAME"]
        name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
        try:
            yield name
        finally:
            connection.close()
            connection.creation.destroy_test_db(configured_name, verbosity=0)


def generate_missing_migrations(scratch: Path) -> None:
    """Write migrations for apps that ship none (``MIGRATION_MODULES`` in bench.settings)."""
    from django.conf import settings
    from django.core.management import call_command

    modules = getattr(settings, "MIGRATION_MODULES", {})
    if not modules:
        return
    sys.path.insert(0, str(scratch))
    for app_label, module in modules.items():
        package = scratch / module
        package.mkdir()
        (package / "__init__.py").touch()
        with warnings.catch_warnings():
            # makemigrations checks the history of the configured database, which a benchmark
            # never uses (it works in a fresh one beside it) and which may not even exist.
            warnings.simplefilter("ignore", RuntimeWarning)
            call_command("makemigrations", app_label, verbosity=0)


def database_url() -> str:
    """The URL of the database this process uses, for servers started against the same data."""
    from django.db import connection

    settings = connection.settings_dict
    if connection.vendor != "postgresql":
        raise RuntimeError("servers share the benchmark's data through PostgreSQL only")
    credentials = settings["USER"] or "postgres"
    if settings.get("PASSWORD"):
        credentials += f":{settings['PASSWORD']}"
    host = settings.get("HOST") or "127.0.0.1"
    port = settings.get("PORT") or 5432
    return f"postgres://{credentials}@{host}:{port}/{settings['NAME']}"


def site_environment(**overrides: str) -> dict[str, str]:
    """Environment for the site's servers: production settings on this run's database.

    ``DEBUG`` is off, as in production, so what is measured is what a deployment runs; TLS is
    a proxy's business in production, so plain HTTP on 127.0.0.1 is not redirected here.
    """
    import secrets

    from cryptography.fernet import Fernet

    return {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "0",
        "LOG_LEVEL": "WARNING",
        "DATABASE_URL": database_url(),
        "REDIS_URL": os.environ.get("REDIS_URL", DEFAULT_REDIS_URL),
        "EMAIL_URL": "dummymail://",
        # Sealed chat messages: production refuses to start without a key.
        "RECORDS_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        **overrides,
    }


def describe_environment() -> str:
    """One line naming what the figures were measured on."""
    import django
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            database = f"PostgreSQL {cursor.fetchone()[0]}"
    else:
        database = f"{connection.vendor} {connection.Database.sqlite_version}"
    # Other work on the machine skews every figure: say how busy it was when the run began.
    load = os.getloadavg()[0]
    return (
        f"{os.cpu_count()} cores, load {load:.1f}, Python {platform.python_version()}, "
        f"Django {django.get_version()}, {database}"
    )


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (``fraction`` in 0..1) of a non-empty sequence."""
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[rank]


def timed_runs(function: Callable[[], Any], repeat: int) -> tuple[list[float], Any]:
    """Milliseconds of ``repeat`` calls of ``function``, and what the last call returned."""
    durations = []
    result = None
    for _ in range(repeat):
        started = time.perf_counter()
        result = function()
        durations.append((time.perf_counter() - started) * 1000)
    return durations, result


def count_queries(function: Callable[[], Any]) -> tuple[int, Any]:
    """How many SQL queries one call of ``function`` issues, and what it returned."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        result = function()
    return len(captured.captured_queries), result


def print_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """A plain-text table that reads well in a terminal and in a Markdown code block."""
    cells = [[str(cell) for cell in row] for row in rows]
    widths = [
        max(len(header), *(len(row[index]) for row in cells)) if cells else len(header)
        for index, header in enumerate(headers)
    ]
    line = "  ".join(header.ljust(width) for header, width in zip(headers, widths, strict=True))
    print(line)
    print("  ".join("-" * width for width in widths))
    for row in cells:
        # Labels read left to right, figures line up on their last digit.
        print(
            "  ".join(
                cell.ljust(width) if index == 0 else cell.rjust(width)
                for index, (cell, width) in enumerate(zip(row, widths, strict=True))
            )
        )


def summary_ms(durations: Sequence[float]) -> str:
    """``median (min–max)`` in milliseconds."""
    return (
        f"{statistics.median(durations):.2f} ms "
        f"(min {min(durations):.2f}, max {max(durations):.2f}, n={len(durations)})"
    )
