"""Thousands of idle sockets on two uvicorn processes: memory per socket, live latency.

Two site processes (``config.asgi``, 127.0.0.1, free ports) share Redis (the channel layer) and
PostgreSQL, as in ``chat.py``. The script

1. measures a live conversation (a patient on one server, the professional on the other, one
   message at a time) with nothing else connected: p50/p99 from send to arrival at the other
   client;
2. reads the resident memory of both servers (``VmRSS`` in ``/proc/<pid>/status``), opens the
   idle sockets — each an authenticated participant of its own appointment's chat, half on
   each server, confirmed by a ``resume`` answered — and reads the memory again;
3. measures the same conversation again while they are held, and counts how many are still
   open afterwards.

It prints how many sockets it held, the memory per socket and the ratio of the two p99s, closes
every socket and stops its servers. The open-files limit is raised to the hard limit first
(the servers inherit it): every socket is a descriptor in this process and in one server.

    python bench/sockets.py [--size small|full] [--idle chat|notifications]

``--idle notifications`` holds ``ws/notifications/`` sockets instead (the same users, each
confirmed by a ``pong``): the memory of a badge socket, which every signed-in page keeps open.

Environment: as ``chat.py`` (``DATABASE_URL``, ``REDIS_URL``). The servers run the site's
settings with the chat's rate limit lifted (``bench/chat_site_settings.py``) and the database
connection pool on (``DATABASE_POOL=1``): otherwise each socket's handshake opens three
PostgreSQL connections one after the other.
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import time
from collections import Counter

import chat
import harness
import servers

SIZES = {
    # idle sockets held, sockets opened at once, conversation (warm-up, measured), seconds
    # allowed for opening them
    "small": {"sockets": 200, "opening": 50, "warmup": 10, "messages": 100, "deadline": 60},
    "full": {"sockets": 5000, "opening": 100, "warmup": 20, "messages": 300, "deadline": 300},
}
PROFESSIONALS = 50
SOCKET_TIMEOUT_SECONDS = 30


def raise_open_files_limit() -> int:
    """Raise this process's open-files limit to the hard limit; returns the new soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def resident_kib(pid: int) -> int:
    """The resident set size of process ``pid``, in KiB."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")


def create_chats(count: int) -> list[tuple[int, str, str]]:
    """``count`` confirmed appointments: (id, patient's token, professional's token) each.

    ``PROFESSIONALS`` professionals and as many patients; appointment ``n`` is at hour
    ``n // PROFESSIONALS`` with professional ``n % PROFESSIONALS``, so no one has two at once.
    """
    import datetime as dt

    from django.utils import timezone
    from psico_accounts.testing.factories import PatientFactory, ProfessionalFactory
    from psico_accounts.testing.tokens import token_key_for
    from psico_scheduling.models import Appointment, AppointmentStatus

    people = min(PROFESSIONALS, count)
    professionals = [ProfessionalFactory() for _ in range(people)]
    patients = [PatientFactory() for _ in range(people)]
    tokens = {user.pk: token_key_for(user) for user in (*professionals, *patients)}
    first_hour = timezone.now().replace(minute=0, second=0, microsecond=0) + dt.timedelta(days=1)
    appointments = Appointment.objects.bulk_create(
        Appointment(
            psychologist=professionals[number % people],
            patient=patients[(number // people + number) % people],
            start=first_hour + dt.timedelta(hours=number // people),
            end=first_hour + dt.timedelta(hours=number // people, minutes=50),
            status=AppointmentStatus.CONFIRMED,
        )
        for number in range(count)
    )
    return [
        (appointment.pk, tokens[appointment.patient_id], tokens[appointment.psychologist_id])
        for appointment in appointments
    ]


# What an idle socket is asked once opened, and the answer that proves it is authenticated.
CONFIRMATION = {
    "chat": ({"type": "resume", "after": 0}, "resume"),
    "notifications": ({"type": "ping"}, "pong"),
}


async def open_idle(url: str, origin: str, limit: asyncio.Semaphore, kind: str = "chat"):
    """An open, authenticated socket that has answered its confirmation; None if it failed."""
    question, answer = CONFIRMATION[kind]
    from websockets.asyncio.client import connect

    async with limit:
        try:
            socket = await connect(
                url, origin=origin, open_timeout=SOCKET_TIMEOUT_SECONDS, ping_interval=None
            )
        except Exception:  # refused, reset, timed out: not held
            return None
        try:
            await socket.send(json.dumps(question))
            async with asyncio.timeout(SOCKET_TIMEOUT_SECONDS):
                frame = json.loads(await socket.recv())
            if frame.get("type") == answer:
                return socket
        except Exception:
            pass
        await socket.close()
        return None


async def conversation(urls, origins, *, tag: str, size: dict) -> chat.Run:
    """One message at a time, alternating direction, between two participants."""
    from websockets.asyncio.client import connect

    async with (
        connect(urls[0], origin=origins[0], open_timeout=SOCKET_TIMEOUT_SECONDS) as first,
        connect(urls[1], origin=origins[1], open_timeout=SOCKET_TIMEOUT_SECONDS) as second,
    ):
        patient, professional = chat.Peer(first), chat.Peer(second)
        readers = [asyncio.create_task(peer.read()) for peer in (patient, professional)]
        stop_at = time.monotonic() + size["deadline"]
        try:
            await chat.exchange(
                patient,
                professional,
                tag=tag,
                count=size["warmup"],
                window=1,
                offset=0,
                stop_at=stop_at,
            )
            run = await chat.exchange(
                patient,
                professional,
                tag=tag,
                count=size["messages"],
                window=1,
                offset=size["warmup"],
                stop_at=stop_at,
            )
        finally:
            for reader in readers:
                reader.cancel()
        run.errors = patient.errors + professional.errors
    return run


async def measure(pair, talk, idle, size: dict, kind: str) -> dict:
    urls = tuple(server.ws_url + talk_path for server, talk_path in zip(pair, talk, strict=True))
    origins = tuple(server.base_url for server in pair)
    pids = [server.process.pid for server in pair]
    figures: dict = {}
    figures["alone"] = await conversation(urls, origins, tag="alone", size=size)
    figures["rss_before"] = [resident_kib(pid) for pid in pids]

    limit = asyncio.Semaphore(size["opening"])
    started = time.perf_counter()
    tasks = [
        asyncio.create_task(
            open_idle(pair[number % 2].ws_url + path, pair[number % 2].base_url, limit, kind)
        )
        for number, path in enumerate(idle)
    ]
    opened = []
    try:
        async with asyncio.timeout(size["deadline"] + SOCKET_TIMEOUT_SECONDS):
            opened = [socket for socket in await asyncio.gather(*tasks) if socket is not None]
        figures["opening_seconds"] = time.perf_counter() - started
        await asyncio.sleep(1)  # let the servers settle before reading their memory
        figures["rss_after"] = [resident_kib(pid) for pid in pids]
        figures["opened"] = len(opened)
        figures["held"] = await conversation(urls, origins, tag="held", size=size)
        figures["still_open"] = sum(1 for socket in opened if socket.close_code is None)
        figures["close_codes"] = Counter(
            socket.close_code for socket in opened if socket.close_code is not None
        )
    finally:
        for task in tasks:
            task.cancel()
        # Every socket that opened, even if the run was cut short, is closed before the
        # servers stop, so that each leaves its group in Redis.
        finished = [task for task in tasks if task.done() and not task.cancelled()]
        opened = [task.result() for task in finished if task.exception() is None]
        closing = [socket.close() for socket in opened if socket is not None]
        async with asyncio.timeout(SOCKET_TIMEOUT_SECONDS * 2):
            await asyncio.gather(*closing, return_exceptions=True)
    return figures


def main() -> int:
    args = harness.parse_args(
        __doc__.splitlines()[0],
        options=lambda parser: parser.add_argument(
            "--idle",
            choices=sorted(CONFIRMATION),
            default="chat",
            help="the idle sockets: chat (ws/chat/<id>/) or notifications (ws/notifications/)",
        ),
    )
    size = SIZES[args.size]
    open_files = raise_open_files_limit()
    harness.setup_django("sockets", require_postgres=True)
    from django.db import connections

    with harness.bench_database():
        print(f"sockets: two uvicorn processes via Redis ({harness.describe_environment()})")
        idle_chats = (size["sockets"] + 1) // 2
        chats = create_chats(idle_chats + 1)
        (talk_id, talk_patient, talk_professional), idle_chats = chats[0], chats[1:]
        talk = (
            f"/ws/chat/{talk_id}/?token={talk_patient}",
            f"/ws/chat/{talk_id}/?token={talk_professional}",
        )
        # Socket n: appointment n // 2, its patient (even n, first server) or its professional
        # (odd n, second server).
        paths = {
            "chat": "/ws/chat/{appointment}/?token={token}",
            "notifications": "/ws/notifications/?token={token}",
        }
        idle = [
            paths[args.idle].format(
                appointment=appointment, token=(patient, professional)[number % 2]
            )
            for appointment, patient, professional in idle_chats
            for number in (0, 1)
        ][: size["sockets"]]
        env = harness.site_environment(
            DJANGO_SETTINGS_MODULE="bench.chat_site_settings", DATABASE_POOL="1"
        )
        connections.close_all()
        pair = (
            servers.UvicornServer(
                "config.asgi:application", app_dir=harness.SITE_DIR, env=env, label="sockets-a"
            ),
            servers.UvicornServer(
                "config.asgi:application", app_dir=harness.SITE_DIR, env=env, label="sockets-b"
            ),
        )
        with servers.running(*pair):
            hard_limit = 3 * size["deadline"] + 4 * SOCKET_TIMEOUT_SECONDS
            figures = asyncio.run(
                asyncio.wait_for(measure(pair, talk, idle, size, args.idle), timeout=hard_limit)
            )
        connections.close_all()

    alone, held = figures["alone"], figures["held"]
    grown = sum(figures["rss_after"]) - sum(figures["rss_before"])
    per_socket = grown / figures["opened"] if figures["opened"] else 0.0
    print(
        f"open-files limit {open_files}; {size['sockets']} idle {args.idle} sockets asked for, "
        f"{figures['opened']} opened in {figures['opening_seconds']:.1f} s "
        f"({size['opening']} at a time), {figures['still_open']} still open at the end"
    )
    if figures["close_codes"]:
        print(f"closed meanwhile, by close code: {dict(figures['close_codes'])}")
    harness.print_table(
        ["server", "RSS before MiB", "RSS holding MiB", "grew MiB"],
        [
            [
                label,
                f"{before / 1024:.1f}",
                f"{after / 1024:.1f}",
                f"{(after - before) / 1024:.1f}",
            ]
            for label, before, after in zip(
                ("a", "b"), figures["rss_before"], figures["rss_after"], strict=True
            )
        ],
    )
    print(f"memory per idle socket: {per_socket:.1f} KiB (servers' RSS growth ÷ sockets opened)")
    print(f"conversation: {size['messages']} messages one at a time, across the two servers")
    harness.print_table(
        ["conversation", "p50 ms", "p99 ms", "lost", "not sent (time)", "error frames"],
        [
            [label, run.p(0.5), run.p(0.99), run.lost, run.not_sent, len(run.errors)]
            for label, run in (("alone", alone), (f"beside {figures['opened']}", held))
        ],
    )
    if alone.latencies_ms and held.latencies_ms:
        ratio = harness.percentile(held.latencies_ms, 0.99) / harness.percentile(
            alone.latencies_ms, 0.99
        )
        print(f"ratio: p99 while holding the sockets ÷ p99 alone = {ratio:.2f}")
    failures = []
    if figures["still_open"] != size["sockets"]:
        failures.append(
            f"{size['sockets']} sockets asked for, {figures['still_open']} held to the end"
        )
    for label, run in (("alone", alone), ("beside the sockets", held)):
        if run.lost:
            failures.append(f"conversation {label}: {run.lost} messages never arrived")
        if run.errors:
            failures.append(f"conversation {label}: error frames, e.g. {run.errors[0]}")
    for failure in failures:
        print(f"FAILED: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
