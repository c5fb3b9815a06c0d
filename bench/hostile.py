"""Two answers an attacker controls, through the site served by uvicorn on PostgreSQL.

1. ``GET /api/professionals/?search=<5,000 words>`` beside a one-word search: the median time
   of a few of each. A search that turns every word into its own condition pins a CPU for as
   long as the database takes to plan and run it; a bounded one answers as fast as a short
   search (or refuses at once with 400).
2. 30 wrong-password logins for one address, each from a new ``X-Forwarded-For``: how many
   were throttled (429). A throttle that trusts that header counts each attempt as a new
   client and throttles none; one that counts the connection's address throttles all but the
   first ``THROTTLE_RATE_LOGIN`` (10 a minute by default).

It exits non-zero on a 5xx or a broken request only (a correctness failure, not a timing one).

    python bench/hostile.py [--size small|full]

Environment: ``DATABASE_URL`` (PostgreSQL; default postgres://postgres@127.0.0.1:5432/h_bench,
the run uses a fresh ``h_bench_hostile`` beside it). The server runs one worker with a cache of
its own process (``CACHE_URL=locmemcache://``), so throttle counts start at zero every run and
no shared Redis key is touched, and with ``FORWARDED_ALLOW_IPS=""`` as the Procfile deploys it.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time

import harness
import servers

SIZES = {
    "small": {"professionals": 50, "repeat": 3, "logins": 30},
    "full": {"professionals": 500, "repeat": 5, "logins": 30},
}
WORDS = ("terapia", "ansiedad", "psicologa", "consulta", "la", "paz", "sesion", "de")
MANY_WORDS = " ".join(WORDS[n % len(WORDS)] for n in range(5_000))
REQUEST_TIMEOUT_SECONDS = 120.0
TARGET_EMAIL = "objetivo@bench.psico.test"


def create_data(professionals: int) -> None:
    from psico_accounts.testing.factories import PatientFactory, ProfessionalFactory

    for _ in range(professionals):
        ProfessionalFactory()
    PatientFactory(email=TARGET_EMAIL)


def timed_search(client, term: str) -> tuple[float, int]:
    import httpx

    started = time.perf_counter()
    try:
        status = client.get("/api/professionals/", params={"search": term}).status_code
    except httpx.TimeoutException:
        status = 0
    return time.perf_counter() - started, status


def main() -> int:
    args = harness.parse_args(__doc__.splitlines()[0])
    harness.setup_django("hostile", require_postgres=True)
    import httpx
    from django.db import connections

    size = SIZES[args.size]
    failures: list[str] = []
    with harness.bench_database(), tempfile.TemporaryDirectory(prefix="psico-mail-") as mail:
        print(f"hostile: the site on uvicorn, one worker ({harness.describe_environment()})")
        create_data(size["professionals"])
        env = harness.site_environment(
            CACHE_URL="locmemcache://",
            SINGLE_PROCESS="1",
            # A production process refuses the console backend; nothing here sends mail.
            EMAIL_URL=f"filemail://{mail}",
            # As the Procfile: uvicorn believes X-Forwarded-For from no one (its own default
            # trusts 127.0.0.1, where this client is, and would rewrite the address itself).
            FORWARDED_ALLOW_IPS="",
        )
        connections.close_all()
        server = servers.UvicornServer(
            "config.asgi:application", app_dir=harness.SITE_DIR, env=env, label="site"
        )
        with (
            servers.running(server),
            httpx.Client(base_url=server.base_url, timeout=REQUEST_TIMEOUT_SECONDS) as client,
        ):
            timed_search(client, "warm-up")
            rows = []
            for label, term in (("1 word", "terapia"), ("5,000 words", MANY_WORDS)):
                runs = []
                for _ in range(size["repeat"]):
                    runs.append(timed_search(client, term))
                    if runs[-1][1] == 0:
                        break  # timed out: the figure is known, repeating only pins the CPU
                seconds = [elapsed for elapsed, _ in runs]
                statuses = sorted({status for _, status in runs})
                rows.append(
                    [
                        label,
                        f"{statistics.median(seconds) * 1000:.1f}",
                        f"{max(seconds) * 1000:.1f}",
                        ", ".join("timeout" if s == 0 else str(s) for s in statuses),
                    ]
                )
                failures += [f"search ({label}) answered {s}" for s in statuses if s >= 500]
            print(
                f"GET /api/professionals/?search=... over {size['professionals']} professionals,"
                f" median of {size['repeat']}:"
            )
            harness.print_table(["search", "median ms", "max ms", "statuses"], rows)

            statuses = []
            for attempt in range(size["logins"]):
                try:
                    response = client.post(
                        "/api/auth/login/",
                        json={"email": TARGET_EMAIL, "password": f"incorrecta-{attempt}"},
                        headers={"X-Forwarded-For": f"203.0.113.{attempt + 1}"},
                    )
                    statuses.append(response.status_code)
                except httpx.TransportError as exc:
                    failures.append(f"login {attempt}: {exc!r}")
            throttled = statuses.count(429)
            print(
                f"{size['logins']} wrong-password logins, each with a new X-Forwarded-For: "
                f"{throttled} throttled (429), "
                f"{sum(400 <= s < 500 and s != 429 for s in statuses)} refused otherwise"
            )
            failures += [f"login answered {s}" for s in statuses if s >= 500]
        connections.close_all()

    for failure in failures:
        print(f"FAIL: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
