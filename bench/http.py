"""``GET /api/users/me/`` beside a bare Django ``JsonResponse`` view, in the same server process.

The site runs on uvicorn with 2 workers and its production settings (``config.settings``, via
``bench/http_site_settings.py``, which only adds ``bench/bare/`` to the site's URLs): the same
middleware, database, cache and connection settings serve both paths. The same clients send the
same authenticated requests (``Authorization: Token ...``) to both, in alternating rounds, and
the script prints req/s and p50/p99 of each and the ratio, then the SQL queries one
``GET /api/users/me/`` runs for a patient and for a professional (Django test client,
``CaptureQueriesContext``).

The client is a small asyncio HTTP/1.1 client with keep-alive connections: it costs the shared
CPU far less than httpx, so more of it is left to the server being measured. It exits non-zero
on a 5xx, a broken request or a wrong answer (someone else's user) — never on time.

    python bench/http.py [--size small|full]

Environment: ``DATABASE_URL`` (PostgreSQL; default postgres://postgres@127.0.0.1:5432/h_bench,
the run uses a fresh ``h_bench_http`` beside it), ``REDIS_URL`` (default
redis://127.0.0.1:6379/5), and any of the site's variables, e.g. ``DATABASE_POOL=0``.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from dataclasses import dataclass, field

import harness
import servers

SIZES = {
    "small": {"users": 10, "connections": 16, "requests": 400, "rounds": 2, "deadline": 60},
    "full": {"users": 40, "connections": 32, "requests": 2000, "rounds": 3, "deadline": 300},
}
WORKERS = 2
ME_PATH = "/api/users/me/"
BARE_PATH = "/bench/bare/"
REQUEST_TIMEOUT_SECONDS = 30


@dataclass
class Figures:
    """What the requests to one path got back, over every round."""

    name: str
    latencies_ms: list[float] = field(default_factory=list)
    seconds: float = 0.0
    statuses: dict[int, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return len(self.latencies_ms) / self.seconds if self.seconds else 0.0

    def record(self, status: int, latency_ms: float) -> None:
        self.statuses[status] = self.statuses.get(status, 0) + 1
        self.latencies_ms.append(latency_ms)


class Connection:
    """One keep-alive HTTP/1.1 connection to 127.0.0.1, reopened if the server closes it."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, path: str, token: str) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        self.writer.write(
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n"
            f"Authorization: Token {token}\r\nAccept: application/json\r\n\r\n".encode()
        )
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        headers = {}
        for line in head.decode("latin-1").split("\r\n")[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip().lower()
        if "content-length" in headers:
            body = await self.reader.readexactly(int(headers["content-length"]))
        else:
            chunks = []
            while size := int((await self.reader.readline()).strip(), 16):
                chunks.append(await self.reader.readexactly(size))
                await self.reader.readline()
            await self.reader.readline()
            body = b"".join(chunks)
        if headers.get("connection") == "close":
            await self.close()
        return status, body

    async def close(self) -> None:
        writer, self.writer, self.reader = self.writer, None, None
        if writer is not None:
            writer.close()
            try:
                await writer.wait_closed()
            except OSError:
                pass


async def run_phase(
    figures: Figures, port: int, path: str, users: list[tuple[int, str]], size: dict
) -> None:
    """``size["requests"]`` GETs of ``path`` over ``size["connections"]`` connections."""
    remaining = size["requests"]
    stop_at = time.monotonic() + size["deadline"]
    check_user = path == ME_PATH

    async def client(number: int) -> None:
        nonlocal remaining
        connection = Connection(port)
        try:
            turn = number
            while remaining > 0 and time.monotonic() < stop_at:
                remaining -= 1
                user_id, token = users[turn % len(users)]
                turn += 1
                started = time.perf_counter()
                try:
                    status, body = await asyncio.wait_for(
                        connection.get(path, token), REQUEST_TIMEOUT_SECONDS
                    )
                except (TimeoutError, OSError, asyncio.IncompleteReadError) as error:
                    figures.errors.append(f"{type(error).__name__}: {error}")
                    await connection.close()
                    continue
                figures.record(status, (time.perf_counter() - started) * 1000)
                if status != 200:
                    figures.errors.append(f"{status}: {body[:200]!r}")
                elif check_user and json.loads(body)["id"] != user_id:
                    figures.errors.append(f"someone else's user for token of user {user_id}")
        finally:
            await connection.close()

    started = time.perf_counter()
    await asyncio.gather(*(client(number) for number in range(size["connections"])))
    figures.seconds += time.perf_counter() - started


async def measure(port: int, users: list[tuple[int, str]], size: dict) -> list[Figures]:
    """A warm-up of each path, then rounds of both, the first path alternating between rounds."""
    warmup = {**size, "requests": size["connections"] * 10}
    for path in (BARE_PATH, ME_PATH):
        await run_phase(Figures("warm-up"), port, path, users, warmup)
    me, bare = Figures(f"GET {ME_PATH}"), Figures(f"GET {BARE_PATH} (bare JsonResponse)")
    for round_number in range(size["rounds"]):
        order = [(me, ME_PATH), (bare, BARE_PATH)]
        if round_number % 2:
            order.reverse()
        for figures, path in order:
            await run_phase(figures, port, path, users, size)
    return [me, bare]


def create_users(count: int) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """Patients and professionals (with specializations), each with an API token."""
    from psico_accounts.testing.factories import (
        PatientFactory,
        ProfessionalFactory,
        SpecializationFactory,
    )
    from psico_accounts.testing.tokens import token_key_for

    specializations = SpecializationFactory.create_batch(3)
    patients = PatientFactory.create_batch(count)
    professionals = ProfessionalFactory.create_batch(count)
    for professional in professionals:
        professional.professional_profile.specializations.set(specializations[:2])

    def tokens(users):
        return [(user.pk, token_key_for(user)) for user in users]

    return tokens(patients), tokens(professionals)


def queries_per_request(user_id: int, token: str) -> int:
    """SQL queries of one ``GET /api/users/me/`` through Django's test client, in this process."""
    from django.test import Client

    client = Client()
    count, response = harness.count_queries(
        lambda: client.get(ME_PATH, headers={"Authorization": f"Token {token}"})
    )
    if response.status_code != 200 or response.json()["id"] != user_id:
        raise RuntimeError(f"GET {ME_PATH} answered {response.status_code} in this process")
    return count


def main() -> int:
    args = harness.parse_args(__doc__.splitlines()[0])
    harness.setup_django("http", require_postgres=True)
    from django.db import connections

    size = SIZES[args.size]
    with harness.bench_database():
        print(
            f"http: GET {ME_PATH} beside a bare JsonResponse, uvicorn --workers {WORKERS}, "
            f"production settings ({harness.describe_environment()})"
        )
        patients, professionals = create_users(size["users"])
        queries = {
            "patient": queries_per_request(*patients[0]),
            "professional": queries_per_request(*professionals[0]),
        }
        users = [user for pair in zip(patients, professionals, strict=True) for user in pair]
        env = harness.site_environment(DJANGO_SETTINGS_MODULE="bench.http_site_settings")
        connections.close_all()
        server = servers.UvicornServer(
            "config.asgi:application",
            app_dir=harness.SITE_DIR,
            env=env,
            workers=WORKERS,
            label="site",
        )
        with servers.running(server):
            results = asyncio.run(measure(server.port, users, size))
        connections.close_all()

    print(
        f"{size['rounds']} rounds of {size['requests']} requests per path over "
        f"{size['connections']} keep-alive connections, {len(users)} users (half patients, half "
        f"professionals); DATABASE_POOL={os.environ.get('DATABASE_POOL', '(default)')}"
    )
    rows = [
        [
            figures.name,
            len(figures.latencies_ms),
            f"{figures.rate:.1f}",
            f"{harness.percentile(figures.latencies_ms, 0.5):.1f}" if figures.latencies_ms else "-",
            f"{harness.percentile(figures.latencies_ms, 0.99):.1f}"
            if figures.latencies_ms
            else "-",
            sum(n for status, n in figures.statuses.items() if status >= 500),
            len(figures.errors),
        ]
        for figures in results
    ]
    harness.print_table(["requests", "done", "req/s", "p50 ms", "p99 ms", "5xx", "errors"], rows)
    me, bare = results
    if bare.rate:
        print(f"ratio: GET {ME_PATH} req/s ÷ bare JsonResponse req/s = {me.rate / bare.rate:.2f}")
    print(
        f"queries per GET {ME_PATH}: patient {queries['patient']}, "
        f"professional {queries['professional']}"
    )
    failures = [f"{figures.name}: {figures.errors[0]}" for figures in results if figures.errors]
    for figures in results:
        if len(figures.latencies_ms) < size["requests"] * size["rounds"]:
            failures.append(f"{figures.name}: not every request was sent before the deadline")
    for failure in failures:
        print(f"FAILED: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
