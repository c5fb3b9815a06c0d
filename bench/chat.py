"""Chat throughput and latency across two uvicorn processes, beside a bare echo consumer.

A patient's socket on one server and the professional's on another (the site's
``config.asgi``, 127.0.0.1, free ports), sharing Redis (the channel layer) and PostgreSQL (the
messages), exchange messages both ways:

- one at a time (latency: p50/p99 from send to arrival at the *other* client);
- pipelined, a window of messages in flight (throughput: messages/s, and latency under load).

The same clients then do the same against ``bench/echo_asgi.py`` served the same way (no auth,
no storage: a broadcast through the same Redis channel layer group), and the two are printed
side by side with their ratio. Every wait is bounded; the script stops its servers itself.

    python bench/chat.py [--size small|full]

Environment: ``DATABASE_URL`` (PostgreSQL; default postgres://postgres@127.0.0.1:5432/h_bench,
the run uses a fresh ``h_bench_chat`` beside it) and ``REDIS_URL`` (default
redis://127.0.0.1:6379/5). The chat's servers run with the database connection pool
(``DATABASE_POOL=1``) unless ``DATABASE_POOL=0`` is set.
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
    # warm-up, one-at-a-time, pipelined messages, pipelining window, seconds allowed per server pair
    "small": {"warmup": 10, "sequential": 100, "pipelined": 600, "window": 16, "deadline": 60},
    "full": {"warmup": 30, "sequential": 500, "pipelined": 3000, "window": 32, "deadline": 150},
}
MESSAGE_TIMEOUT_SECONDS = 10


@dataclass
class Peer:
    """One client socket and the messages it is waiting to receive from the other side."""

    socket: object
    waiting: dict[str, asyncio.Future] = field(default_factory=dict)
    errors: list[dict] = field(default_factory=list)

    async def read(self) -> None:
        async for raw in self.socket:
            frame = json.loads(raw)
            if frame.get("type") == "chat.message":
                future = self.waiting.pop(frame.get("message"), None)
                if future is not None and not future.done():
                    future.set_result(time.perf_counter())
            elif frame.get("type") == "error":
                self.errors.append(frame)


@dataclass
class Run:
    latencies_ms: list[float] = field(default_factory=list)
    lost: int = 0
    not_sent: int = 0  # left out when the time allowed ran out
    seconds: float = 0.0

    @property
    def sent(self) -> int:
        return self.delivered + self.lost

    @property
    def delivered(self) -> int:
        return len(self.latencies_ms)

    def p(self, fraction: float) -> str:
        if not self.latencies_ms:
            return "-"
        return f"{harness.percentile(self.latencies_ms, fraction):.2f}"

    @property
    def rate(self) -> float:
        return self.delivered / self.seconds if self.seconds else 0.0


@dataclass
class Outcome:
    warmup: Run
    sequential: Run
    pipelined: Run
    errors: list[dict]

    @property
    def runs(self) -> tuple[Run, Run, Run]:
        return self.warmup, self.sequential, self.pipelined

    @property
    def sent(self) -> int:
        return sum(run.sent for run in self.runs)

    @property
    def lost(self) -> int:
        return sum(run.lost for run in self.runs)

    @property
    def not_sent(self) -> int:
        return sum(run.not_sent for run in self.runs)


async def send_one(sender: Peer, receiver: Peer, text: str) -> float | None:
    """Milliseconds from ``sender`` sending ``text`` until ``receiver`` has it; None if lost."""
    future = asyncio.get_running_loop().create_future()
    receiver.waiting[text] = future
    sent = time.perf_counter()
    await sender.socket.send(json.dumps({"type": "chat.message", "message": text}))
    try:
        arrived = await asyncio.wait_for(future, MESSAGE_TIMEOUT_SECONDS)
    except TimeoutError:
        receiver.waiting.pop(text, None)
        return None
    return (arrived - sent) * 1000


async def exchange(
    patient: Peer,
    professional: Peer,
    *,
    tag: str,
    count: int,
    window: int,
    offset: int,
    stop_at: float,
) -> Run:
    """``count`` messages alternating direction, at most ``window`` in flight at once.

    Nothing more is sent after ``stop_at`` (``time.monotonic()``): a slow machine gets fewer
    messages measured, never a run that does not end.
    """
    limit = asyncio.Semaphore(window)
    run = Run()

    async def one(number: int) -> None:
        async with limit:
            if time.monotonic() >= stop_at:
                run.not_sent += 1
                return
            sender, receiver = (patient, professional) if number % 2 else (professional, patient)
            latency = await send_one(sender, receiver, f"{tag} #{offset + number}")
            if latency is None:
                run.lost += 1
            else:
                run.latencies_ms.append(latency)

    started = time.perf_counter()
    await asyncio.gather(*(one(number) for number in range(count)))
    run.seconds = time.perf_counter() - started
    return run


async def measure_pair(urls: tuple[str, str], origins: tuple[str, str], size: dict, tag: str):
    """Connect both clients, warm up, then measure one-at-a-time and pipelined exchanges."""
    from websockets.asyncio.client import connect

    async with (
        connect(urls[0], origin=origins[0], open_timeout=10) as patient_socket,
        connect(urls[1], origin=origins[1], open_timeout=10) as professional_socket,
    ):
        patient, professional = Peer(patient_socket), Peer(professional_socket)
        readers = [asyncio.create_task(peer.read()) for peer in (patient, professional)]
        stop_at = time.monotonic() + size["deadline"]
        try:
            warmup = await exchange(
                patient,
                professional,
                tag=tag,
                count=size["warmup"],
                window=1,
                offset=0,
                stop_at=stop_at,
            )
            sequential = await exchange(
                patient,
                professional,
                tag=tag,
                count=size["sequential"],
                window=1,
                offset=size["warmup"],
                stop_at=stop_at,
            )
            pipelined = await exchange(
                patient,
                professional,
                tag=tag,
                count=size["pipelined"],
                window=size["window"],
                offset=size["warmup"] + size["sequential"],
                stop_at=stop_at,
            )
        finally:
            for reader in readers:
                reader.cancel()
        errors = patient.errors + professional.errors
    return Outcome(warmup, sequential, pipelined, errors)


def run_pair(app: str, app_dir, env: dict, paths: tuple[str, str], size: dict, tag: str):
    """Start two servers of ``app``, measure a conversation across them, stop them."""
    pair = (
        servers.UvicornServer(app, app_dir=app_dir, env=env, label=f"{tag}-a"),
        servers.UvicornServer(app, app_dir=app_dir, env=env, label=f"{tag}-b"),
    )
    with servers.running(*pair):
        urls = (pair[0].ws_url + paths[0], pair[1].ws_url + paths[1])
        origins = (pair[0].base_url, pair[1].base_url)
        # The deadline stops sending; this bound also covers the last replies and a hang.
        hard_limit = size["deadline"] + 2 * MESSAGE_TIMEOUT_SECONDS + 30
        return asyncio.run(
            asyncio.wait_for(measure_pair(urls, origins, size, tag), timeout=hard_limit)
        )


def main() -> int:
    args = harness.parse_args(__doc__.splitlines()[0])
    harness.setup_django("chat", require_postgres=True)
    from django.db import connections
    from psico_accounts.testing.factories import PatientFactory, ProfessionalFactory
    from psico_accounts.testing.tokens import token_key_for
    from psico_chat.models import ChatMessage
    from psico_scheduling.models import AppointmentStatus
    from psico_scheduling.testing.factories import AppointmentFactory

    size = SIZES[args.size]
    with harness.bench_database():
        print(f"chat: two uvicorn processes via Redis ({harness.describe_environment()})")
        patient, professional = PatientFactory(), ProfessionalFactory()
        appointment = AppointmentFactory(
            patient=patient, psychologist=professional, status=AppointmentStatus.CONFIRMED
        )
        patient_token = token_key_for(patient)
        professional_token = token_key_for(professional)
        # The database connection pool on, as a deployment should run (see bench/README.md).
        env = harness.site_environment(
            DJANGO_SETTINGS_MODULE="bench.chat_site_settings",
            DATABASE_POOL=os.environ.get("DATABASE_POOL", "1"),
        )
        # The servers must be able to read what this process wrote, and the database must be
        # droppable afterwards: nothing of ours stays open meanwhile.
        connections.close_all()

        base = f"/ws/chat/{appointment.pk}/"
        chat = run_pair(
            "config.asgi:application",
            harness.SITE_DIR,
            env,
            (f"{base}?token={patient_token}", f"{base}?token={professional_token}"),
            size,
            "chat",
        )
        echo = run_pair(
            "bench.echo_asgi:application",
            harness.REPO_DIR,
            env,
            (base, base),
            size,
            "echo",
        )
        stored = ChatMessage.objects.filter(appointment=appointment).count()
        connections.close_all()

    rows = []
    for label, outcome in (("psico chat", chat), ("bare echo", echo)):
        sequential, pipelined = outcome.sequential, outcome.pipelined
        rows.append(
            [
                label,
                sequential.p(0.5),
                sequential.p(0.99),
                f"{pipelined.rate:.0f}",
                pipelined.p(0.5),
                pipelined.p(0.99),
                outcome.lost,
                outcome.not_sent,
                len(outcome.errors),
            ]
        )
    print(
        f"{size['sequential']} messages one at a time, then {size['pipelined']} with "
        f"{size['window']} in flight; both directions, patient and professional on "
        "different servers"
    )
    harness.print_table(
        [
            "consumer",
            "1-by-1 p50 ms",
            "p99 ms",
            "pipelined msg/s",
            "p50 ms",
            "p99 ms",
            "lost",
            "not sent (time)",
            "error frames",
        ],
        rows,
    )
    chat_rate, echo_rate = chat.pipelined.rate, echo.pipelined.rate
    if chat_rate:
        print(f"ratio: the echo moves {echo_rate / chat_rate:.1f}× the messages/s of the chat")
    if chat.sequential.latencies_ms and echo.sequential.latencies_ms:
        chat_p50 = harness.percentile(chat.sequential.latencies_ms, 0.5)
        echo_p50 = harness.percentile(echo.sequential.latencies_ms, 0.5)
        print(f"ratio: a chat message takes {chat_p50 / echo_p50:.1f}× the echo's p50 latency")
    print(f"stored by the chat: {stored} of {chat.sent} messages sent")
    failures = []
    if stored != chat.sent:
        failures.append(f"{chat.sent} messages were sent to the chat but {stored} stored")
    for label, outcome in (("chat", chat), ("echo", echo)):
        if outcome.lost:
            failures.append(f"{label}: {outcome.lost} messages never arrived")
        if outcome.errors:
            failures.append(f"{label}: error frames, e.g. {outcome.errors[0]}")
    for failure in failures:
        print(f"FAILED: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
