"""The slot engine: which start times a professional can take, computed without queries.

Weekly rules and blocked ranges are wall-clock times in the professional's time zone;
appointments are absolute instants. Everything is turned into UTC before it is compared,
because Python compares two aware datetimes that share a ``tzinfo`` by their wall-clock
fields and would get DST days wrong.

Local times are attached to their zone with ``fold=0``: a time that does not exist (the hour
skipped when clocks spring forward) is never offered, and a time that happens twice (when
clocks fall back) is offered once, as its first occurrence. A slot ends ``session_duration``
minutes after its start in absolute time, and must end no later than its rule does.

The selectors load a :class:`ProfessionalCalendar` (rules, blocked dates and busy intervals);
the services check a booking against the same primitives, so a time passes the booking
checks exactly when the engine offers it.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from django.conf import settings

from .conf import scheduling_settings

UTC = dt.UTC


@lru_cache(maxsize=64)
def _named_zone(name: str) -> zoneinfo.ZoneInfo | None:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


def get_zone(name: str | None) -> zoneinfo.ZoneInfo:
    """The ``ZoneInfo`` for ``name``, falling back to the site's ``TIME_ZONE``.

    Only the lookup of a name is cached; the fallback reads ``settings.TIME_ZONE`` on every
    call, so ``override_settings(TIME_ZONE=...)`` is seen at once.
    """
    zone = _named_zone(name) if name else None
    return zone or _named_zone(settings.TIME_ZONE or "UTC") or zoneinfo.ZoneInfo("UTC")


def local_to_utc(day: dt.date, time: dt.time, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    """The instant at which the wall clock in ``zone`` shows ``day time`` (``fold=0``).

    A time inside a spring-forward gap maps to the instant the gap's offset would give it,
    which is what a rule boundary needs; use :func:`local_time_exists` to refuse it as a start.
    """
    return dt.datetime.combine(day, time, tzinfo=zone).astimezone(UTC)


def local_time_exists(day: dt.date, time: dt.time, zone: zoneinfo.ZoneInfo) -> bool:
    """False for wall-clock times skipped by a spring-forward change in ``zone``."""
    naive = dt.datetime.combine(day, time)
    back = naive.replace(tzinfo=zone).astimezone(UTC).astimezone(zone).replace(tzinfo=None)
    return back == naive


@dataclass(frozen=True)
class BookingPolicy:
    """The ``PSICO_SCHEDULING`` numbers the engine and the booking checks apply."""

    min_notice: dt.timedelta
    max_days_ahead: int
    buffer: dt.timedelta
    slot_step_minutes: int | None

    @classmethod
    def from_settings(cls) -> BookingPolicy:
        return cls(
            min_notice=dt.timedelta(minutes=scheduling_settings.MIN_NOTICE_MINUTES),
            max_days_ahead=scheduling_settings.MAX_DAYS_AHEAD,
            buffer=dt.timedelta(minutes=scheduling_settings.BUFFER_MINUTES),
            slot_step_minutes=scheduling_settings.SLOT_STEP_MINUTES,
        )

    def step_minutes(self, session_duration: int) -> int:
        return self.slot_step_minutes or session_duration

    def last_bookable_day(self, now: dt.datetime, zone: zoneinfo.ZoneInfo) -> dt.date:
        return now.astimezone(zone).date() + dt.timedelta(days=self.max_days_ahead)


@dataclass(frozen=True, slots=True)
class Slot:
    """A free time: ``start`` and ``end`` in UTC, ``zone`` the professional's time zone."""

    start: dt.datetime
    end: dt.datetime
    zone: zoneinfo.ZoneInfo

    @property
    def local_start(self) -> dt.datetime:
        return self.start.astimezone(self.zone)

    @property
    def local_end(self) -> dt.datetime:
        return self.end.astimezone(self.zone)

    @property
    def start_time(self) -> dt.time:
        return self.local_start.time()

    @property
    def end_time(self) -> dt.time:
        return self.local_end.time()


@dataclass(frozen=True, slots=True)
class RuleRange:
    start_time: dt.time
    end_time: dt.time


@dataclass(frozen=True, slots=True)
class BlockedRange:
    """A blocked date; ``start_time`` None means the whole day."""

    start_time: dt.time | None
    end_time: dt.time | None


def merge_intervals(
    intervals: Iterable[tuple[dt.datetime, dt.datetime]],
) -> list[tuple[dt.datetime, dt.datetime]]:
    """Sorted, disjoint union of half-open ``[start, end)`` intervals."""
    merged: list[tuple[dt.datetime, dt.datetime]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


class _Sweep:
    """Answers "does [start, end) touch a busy interval?" for queries in increasing order.

    Each interval is passed at most once, so a day's (or a month's) questions cost
    O(slots + intervals) instead of O(slots × intervals).
    """

    __slots__ = ("intervals", "position")

    def __init__(self, intervals: list[tuple[dt.datetime, dt.datetime]]) -> None:
        self.intervals = intervals
        self.position = 0

    def hits(self, start: dt.datetime, end: dt.datetime) -> bool:
        intervals = self.intervals
        while self.position < len(intervals) and intervals[self.position][1] <= start:
            self.position += 1
        return self.position < len(intervals) and intervals[self.position][0] < end


@dataclass
class ProfessionalCalendar:
    """What the engine needs about one professional; built by the selectors."""

    psychologist_id: int
    zone: zoneinfo.ZoneInfo
    session_duration: int
    rules_by_weekday: dict[int, list[RuleRange]] = field(default_factory=dict)
    blocks_by_date: dict[dt.date, list[BlockedRange]] = field(default_factory=dict)
    # Active appointments as UTC (start, end) pairs, any order.
    appointments: list[tuple[dt.datetime, dt.datetime]] = field(default_factory=list)

    @classmethod
    def build(
        cls,
        *,
        psychologist_id: int,
        time_zone: str | None,
        session_duration: int,
        rules: Iterable = (),
        blocked_dates: Iterable = (),
        appointments: Iterable[tuple[dt.datetime, dt.datetime]] = (),
    ) -> ProfessionalCalendar:
        """From objects with ``day_of_week``/``start_time``/``end_time`` (rules) and
        ``date``/``start_time``/``end_time`` (blocked dates); inactive rules are skipped."""
        rules_by_weekday: dict[int, list[RuleRange]] = defaultdict(list)
        for rule in rules:
            if getattr(rule, "is_active", True):
                rules_by_weekday[rule.day_of_week].append(RuleRange(rule.start_time, rule.end_time))
        for ranges in rules_by_weekday.values():
            ranges.sort(key=lambda r: r.start_time)
        blocks_by_date: dict[dt.date, list[BlockedRange]] = defaultdict(list)
        for block in blocked_dates:
            blocks_by_date[block.date].append(BlockedRange(block.start_time, block.end_time))
        return cls(
            psychologist_id=psychologist_id,
            zone=get_zone(time_zone),
            session_duration=session_duration,
            rules_by_weekday=dict(rules_by_weekday),
            blocks_by_date=dict(blocks_by_date),
            appointments=list(appointments),
        )

    @property
    def duration(self) -> dt.timedelta:
        return dt.timedelta(minutes=self.session_duration)

    # -- primitives shared with the booking checks -------------------------------------

    def covering_rule(self, day: dt.date, start_time: dt.time) -> RuleRange | None:
        """The active rule of ``day`` in which a session starting at ``start_time`` fits."""
        start = local_to_utc(day, start_time, self.zone)
        end = start + self.duration
        for rule in self.rules_by_weekday.get(day.weekday(), ()):
            if rule.start_time <= start_time < rule.end_time and end <= local_to_utc(
                day, rule.end_time, self.zone
            ):
                return rule
        return None

    @staticmethod
    def is_on_grid(rule: RuleRange, start_time: dt.time, step_minutes: int) -> bool:
        """Whether ``start_time`` is a whole number of steps after the start of ``rule``."""
        offset = dt.datetime.combine(dt.date.min, start_time) - dt.datetime.combine(
            dt.date.min, rule.start_time
        )
        return offset % dt.timedelta(minutes=step_minutes) == dt.timedelta(0)

    def blocked_intervals(self, day: dt.date) -> list[tuple[dt.datetime, dt.datetime]] | None:
        """UTC intervals blocked on ``day``; None when the whole day is blocked."""
        intervals = []
        for block in self.blocks_by_date.get(day, ()):
            if block.start_time is None or block.end_time is None:
                return None
            intervals.append(
                (
                    local_to_utc(day, block.start_time, self.zone),
                    local_to_utc(day, block.end_time, self.zone),
                )
            )
        return merge_intervals(intervals)

    def busy_intervals(self, buffer: dt.timedelta) -> list[tuple[dt.datetime, dt.datetime]]:
        """Active appointments widened by ``buffer`` on both sides, merged and sorted."""
        return merge_intervals((start - buffer, end + buffer) for start, end in self.appointments)

    # -- the engine ---------------------------------------------------------------------

    def candidate_starts(self, day: dt.date, step_minutes: int) -> list[dt.datetime]:
        """UTC starts on the grid of every active rule of ``day`` whose session fits the rule."""
        step = dt.timedelta(minutes=step_minutes)
        starts: set[dt.datetime] = set()
        for rule in self.rules_by_weekday.get(day.weekday(), ()):
            rule_end = local_to_utc(day, rule.end_time, self.zone)
            wall = dt.datetime.combine(day, rule.start_time)
            wall_end = dt.datetime.combine(day, rule.end_time)
            while wall < wall_end:
                if local_time_exists(day, wall.time(), self.zone):
                    start = wall.replace(tzinfo=self.zone).astimezone(UTC)
                    if start + self.duration <= rule_end:
                        starts.add(start)
                wall += step
        return sorted(starts)

    def slots_between(
        self,
        start_date: dt.date,
        end_date: dt.date,
        *,
        now: dt.datetime,
        policy: BookingPolicy,
    ) -> dict[dt.date, list[Slot]]:
        """Free, bookable slots for each local day from ``start_date`` to ``end_date``."""
        result: dict[dt.date, list[Slot]] = {}
        earliest = now + policy.min_notice
        last_day = min(end_date, policy.last_bookable_day(now, self.zone))
        step_minutes = policy.step_minutes(self.session_duration)
        busy = _Sweep(self.busy_intervals(policy.buffer))
        duration = self.duration
        day = start_date
        while day <= end_date:
            slots: list[Slot] = []
            blocked = self.blocked_intervals(day) if day <= last_day else None
            if day <= last_day and blocked is not None:
                blocks = _Sweep(blocked)
                for start in self.candidate_starts(day, step_minutes):
                    end = start + duration
                    if start < earliest or blocks.hits(start, end) or busy.hits(start, end):
                        continue
                    slots.append(Slot(start, end, self.zone))
            result[day] = slots
            day += dt.timedelta(days=1)
        return result

    def slots_on(self, day: dt.date, *, now: dt.datetime, policy: BookingPolicy) -> list[Slot]:
        return self.slots_between(day, day, now=now, policy=policy)[day]


def day_bounds_utc(
    start_date: dt.date, end_date: dt.date, zones: Sequence[zoneinfo.ZoneInfo]
) -> tuple[dt.datetime, dt.datetime]:
    """The UTC span covering local ``start_date`` 00:00 to ``end_date`` 24:00 in all ``zones``."""
    after = end_date + dt.timedelta(days=1)
    starts = [local_to_utc(start_date, dt.time(0), zone) for zone in zones]
    ends = [local_to_utc(after, dt.time(0), zone) for zone in zones]
    return min(starts), max(ends)
