"""A booking storm against the site: uvicorn with 2 workers on PostgreSQL, many clients at once.

Patients book over many professionals and slots through ``POST /api/appointments/appointments/``;
half of the slots are asked for once, the other half by several patients at the same moment
(conflicting bookings, which the API must resolve to exactly one 201 and clean 400s). In the
same run and on the same server, the same clients do an authenticated trivial
``GET /api/users/me/``, so bookings/s can be read against it (the ratio).

Afterwards the database is checked: no two active appointments of one professional overlap
(nor of one patient), and the 201s match the stored appointments. The script exits non-zero on
a double booking, a 5xx or a broken connection: that part is a correctness check, not a timing
assertion, so CI can run it (``--size small``, about a minute).

    python bench/load.py [--size small|full]

Environment: ``DATABASE_URL`` (PostgreSQL; default postgres://postgres@127.0.0.1:5432/h_bench,
the run uses a fresh ``h_bench_load`` beside it) and ``REDIS_URL`` (default
redis://127.0.0.1:6379/5).
"""

from __future__ import annotations

import asyncio
import collections
import datetime as dt
import random
import sys
import time
from dataclasses import dataclass, field

import harness
import servers

SIZES = {
    "small": {
        "professionals": 10,
        "days": 3,
        "copies": 4,
        "clients": 32,
        "deadline": 45,
    },
    "full": {
        "professionals": 40,
        "days": 5,
        "copies": 4,
        "clients": 64,
        "deadline": 300,
    },
}
SCHEDULE = [(dt.time(8), dt.time(12)), (dt.time(14), dt.time(18))]
HOURS = [hour for opens, closes in SCHEDULE for hour in range(opens.hour, closes.hour)]
REQUEST_TIMEOUT_SECONDS = 60


@dataclass(frozen=True)
class Booking:
    token: str
    psychologist: int
    date: dt.date
    hour: int

    @property
    def slot(self) -> tuple[int, dt.date, int]:
        return self.psychologist, self.date, self.hour


@dataclass
class Phase:
    """What one phase of requests got back."""

    name: str
    statuses: collections.Counter = field(default_factory=collections.Counter)
    latencies_ms: list[float] = field(default_factory=list)
    transport_errors: list[str] = field(default_factory=list)
    refusals: collections.Counter = field(default_factory=collections.Counter)
    server_errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    planned: int = 0

    @property
    def done(self) -> int:
        return len(self.latencies_ms)

    @property
    def rate(self) -> float:
        return self.done / self.seconds if self.seconds else 0.0

    def count(self, low: int, high: int) -> int:
        return sum(n for status, n in self.statuses.items() if low <= status < high)


def first_monday() -> dt.date:
    from django.utils import timezone

    start = timezone.localdate() + dt.timedelta(days=2)
    return start + dt.timedelta(days=(7 - start.weekday()) % 7)


def create_data(size: dict, chooser: random.Random) -> tuple[list[Booking], list[str]]:
    """Professionals with schedules, patients with tokens; the storm's requests, in order.

    Requests for one conflicting slot sit next to each other, so that they are in flight at
    the same time; no patient asks for two slots at the same hour, so every refusal is the
    professional's slot being taken, never the patient's own overlap.
    """
    from psico_accounts.testing.factories import PatientFactory, ProfessionalFactory
    from psico_accounts.testing.tokens import token_key_for
    from psico_scheduling.models import WeeklyAvailability
    from psico_scheduling.testing.factories import WeeklyAvailabilityFactory

    professionals = ProfessionalFactory.create_batch(size["professionals"])
    WeeklyAvailability.objects.bulk_create(
        WeeklyAvailabilityFactory.build(
            psychologist=professional, day_of_week=weekday, start_time=opens, end_time=closes
        )
        for professional in professionals
        for weekday in range(5)
        for opens, closes in SCHEDULE
    )
    patients = PatientFactory.create_batch(size["professionals"] * size["copies"] + 10)
    keys = [token_key_for(patient) for patient in patients]

    monday = first_monday()
    days = [monday + dt.timedelta(days=n) for n in range(size["days"])]
    slots = [
        (professional.pk, day, hour)
        for professional in professionals
        for day in days
        for hour in HOURS
    ]
    chooser.shuffle(slots)
    next_patient = collections.Counter()
    groups = []
    for index, (psychologist, day, hour) in enumerate(slots):
        copies = 1 if index % 2 else size["copies"]
        group = []
        for _ in range(copies):
            turn = next_patient[(day, hour)]
            next_patient[(day, hour)] += 1
            token = keys[(turn + hour * 7 + day.toordinal()) % len(keys)]
            group.append(Booking(token, psychologist, day, hour))
        groups.append(group)
    chooser.shuffle(groups)
    return [booking for group in groups for booking in group], keys


async def run_phase(phase: Phase, client, requests, *, clients: int, deadline: float) -> None:
    """Send ``requests`` (callables making one httpx request) from ``clients`` workers."""
    queue = collections.deque(requests)
    phase.planned = len(queue)
    stop_at = time.monotonic() + deadline

    async def worker() -> None:
        while queue and time.monotonic() < stop_at:
            make = queue.popleft()
            started = time.perf_counter()
            try:
                response = await make(client)
            except Exception as error:  # noqa: BLE001 (every transport failure is reported)
                phase.transport_errors.append(f"{type(error).__name__}: {error}")
                continue
            phase.latencies_ms.append((time.perf_counter() - started) * 1000)
            phase.statuses[response.status_code] += 1
            if response.status_code >= 500:
                phase.server_errors.append(response.text[:300])
            elif response.status_code >= 400:
                phase.refusals[response.text[:160]] += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(clients)))
    phase.seconds = time.perf_counter() - started


def booking_request(booking: Booking):
    async def make(client):
        return await client.post(
            "/api/appointments/appointments/",
            json={
                "psychologist": booking.psychologist,
                "appointment_date": booking.date.isoformat(),
                "start_time": f"{booking.hour:02d}:00",
                "reason": "Primera consulta",
            },
            headers={"Authorization": f"Token {booking.token}"},
        )

    return make


def me_request(token: str):
    async def make(client):
        return await client.get("/api/users/me/", headers={"Authorization": f"Token {token}"})

    return make


async def storm(base_url: str, bookings: list[Booking], tokens: list[str], size: dict):
    import httpx

    clients = size["clients"]
    # uvicorn closes a keep-alive connection after 5 idle seconds, httpx's default expiry too:
    # a POST sent on a connection the server is closing at that moment fails without retry.
    # Expiring first on the client side leaves the server's behaviour as the only thing tested.
    limits = httpx.Limits(
        max_connections=clients, max_keepalive_connections=clients, keepalive_expiry=2.0
    )
    async with httpx.AsyncClient(
        base_url=base_url, limits=limits, timeout=REQUEST_TIMEOUT_SECONDS
    ) as client:
        warmup = Phase("warm-up")
        await run_phase(
            warmup,
            client,
            [me_request(tokens[n % len(tokens)]) for n in range(clients * 4)],
            clients=clients,
            deadline=size["deadline"],
        )
        reads = Phase("GET /api/users/me/")
        await run_phase(
            reads,
            client,
            [me_request(tokens[n % len(tokens)]) for n in range(len(bookings))],
            clients=clients,
            deadline=size["deadline"],
        )
        writes = Phase("POST appointments (booking)")
        await run_phase(
            writes,
            client,
            [booking_request(booking) for booking in bookings],
            clients=clients,
            deadline=size["deadline"],
        )
    return warmup, reads, writes


def overlapping_appointments() -> tuple[int, int]:
    """Active appointments overlapping another active one of the same professional / patient."""
    from django.db.models import Exists, OuterRef
    from psico_scheduling.models import Appointment

    active = Appointment.objects.active()

    def overlapping(party: str) -> int:
        others = active.filter(
            **{party: OuterRef(party)}, start__lt=OuterRef("end"), end__gt=OuterRef("start")
        ).exclude(pk=OuterRef("pk"))
        return active.filter(Exists(others)).count()

    return overlapping("psychologist"), overlapping("patient")


def main() -> int:
    args = harness.parse_args(__doc__.splitlines()[0])
    harness.setup_django("load", require_postgres=True)
    from django.db import connections
    from psico_scheduling.models import Appointment

    size = SIZES[args.size]
    chooser = random.Random(2024)
    with harness.bench_database():
        print(f"load: booking storm on uvicorn --workers 2 ({harness.describe_environment()})")
        bookings, tokens = create_data(size, chooser)
        distinct_slots = len({booking.slot for booking in bookings})
        env = harness.site_environment()
        connections.close_all()
        server = servers.UvicornServer(
            "config.asgi:application", app_dir=harness.SITE_DIR, env=env, workers=2, label="site"
        )
        with servers.running(server):
            _warmup, reads, writes = asyncio.run(storm(server.base_url, bookings, tokens, size))
        professional_overlaps, patient_overlaps = overlapping_appointments()
        stored = Appointment.objects.active().count()
        connections.close_all()

    print(
        f"{size['professionals']} professionals × {size['days']} days × {len(HOURS)} slots = "
        f"{distinct_slots} slots; {len(bookings)} booking requests (half the slots asked for by "
        f"{size['copies']} patients at once); {size['clients']} concurrent clients"
    )
    rows = []
    for phase in (reads, writes):
        rows.append(
            [
                phase.name,
                f"{phase.done}/{phase.planned}",
                f"{phase.rate:.1f}",
                f"{harness.percentile(phase.latencies_ms, 0.5):.1f}" if phase.done else "-",
                f"{harness.percentile(phase.latencies_ms, 0.99):.1f}" if phase.done else "-",
                phase.count(200, 300),
                phase.count(400, 500),
                phase.count(500, 600),
                len(phase.transport_errors),
            ]
        )
    harness.print_table(
        ["requests", "done", "req/s", "p50 ms", "p99 ms", "2xx", "4xx", "5xx", "broken"], rows
    )
    booked = writes.statuses.get(201, 0)
    if reads.rate:
        print(
            f"ratio: booking requests/s ÷ GET /api/users/me/ req/s = {writes.rate / reads.rate:.2f}"
            f"; successful bookings/s = {booked / writes.seconds:.1f}"
        )
    for text, count in writes.refusals.most_common(3):
        print(f"  {count} × {text}")
    print(
        f"database: {stored} active appointments for {booked} × 201; "
        f"{professional_overlaps} overlapping per professional, {patient_overlaps} per patient"
    )

    failures = []
    if professional_overlaps or patient_overlaps:
        failures.append("double booking in the database")
    if stored != booked:
        failures.append(f"{booked} bookings answered 201 but {stored} are stored")
    for phase in (reads, writes):
        if phase.count(500, 600):
            failures.append(f"{phase.name}: 5xx, e.g. {phase.server_errors[0]}")
        if phase.transport_errors:
            failures.append(f"{phase.name}: broken requests, e.g. {phase.transport_errors[0]}")
    if writes.done == writes.planned and booked != distinct_slots:
        # Not a failure of the server by itself (a slot may be refused for a rule), but worth
        # reading: every slot of this storm was free and bookable.
        print(f"note: {distinct_slots - booked} of {distinct_slots} slots were never booked")
    for failure in failures:
        print(f"FAILED: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
