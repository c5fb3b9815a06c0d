"""Reads: slots, calendars, role-scoped appointment lists and public availability."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Count, F, Prefetch, Q, QuerySet, Sum
from django.utils import timezone
from psico_accounts.models import UserType
from psico_accounts.selectors import professionals_filter

from .models import (
    Appointment,
    AppointmentSeries,
    AppointmentStatus,
    BlockedDate,
    PaymentStatus,
    SeriesDate,
    WaitlistEntry,
    WaitlistOffer,
    WaitlistOfferStatus,
    WaitlistStatus,
    WeeklyAvailability,
)
from .slots import BookingPolicy, ProfessionalCalendar, Slot, day_bounds_utc, get_zone


def _weekdays(start_date: dt.date, end_date: dt.date) -> list[int]:
    days = (end_date - start_date).days + 1
    if days >= 7:
        return list(range(7))
    return sorted({(start_date + dt.timedelta(days=n)).weekday() for n in range(max(days, 0))})


def _profile_numbers(user) -> tuple[str | None, int]:
    """(time zone, session duration) of a professional, with defaults when the profile is
    missing (a professional created without one still gets a usable schedule)."""
    from psico_accounts.conf import accounts_settings

    profile = getattr(user, "professional_profile", None)
    if profile is None:
        return None, accounts_settings.SESSION_DURATION_DEFAULT
    return profile.time_zone, profile.session_duration


def bookable_professionals() -> QuerySet:
    """Active users of the professional role, with their profile joined."""
    return (
        get_user_model()
        .objects.filter(user_type=UserType.PROFESSIONAL, is_active=True)
        .select_related("professional_profile")
    )


def professional_get(*, psychologist_id) -> object:
    """The bookable professional ``psychologist_id``; raises ``User.DoesNotExist`` otherwise."""
    return bookable_professionals().get(pk=psychologist_id)


def is_professional(*, user_id: int) -> bool:
    """Whether ``user_id`` is a user of the professional role (active or not: a former
    professional's history still counts)."""
    return get_user_model().objects.filter(pk=user_id, user_type=UserType.PROFESSIONAL).exists()


def professional_time_zone(user):
    """The ``ZoneInfo`` in which ``user``'s schedule and appointments are read."""
    return get_zone(_profile_numbers(user)[0])


def professional_calendar(
    *,
    psychologist,
    start_date: dt.date,
    end_date: dt.date,
    exclude_appointment_id: int | None = None,
    hide_holds: bool = False,
    viewer=None,
) -> ProfessionalCalendar:
    """Rules, blocked dates and active appointments of one professional for a date range.

    ``psychologist`` is a user or a primary key. At most three queries: the active rules
    (joined with the user and profile), then — only when there are rules — the blocked dates
    and the appointments. Raises ``User.DoesNotExist`` when ``psychologist`` is not a bookable
    professional.

    With ``hide_holds`` the times the waiting list holds for anyone but ``viewer`` count as
    taken, read in the same query as the appointments: what a slot list shows the viewer.
    """
    pk = getattr(psychologist, "pk", psychologist)
    rules = list(
        WeeklyAvailability.objects.filter(
            psychologist_id=pk,
            psychologist__user_type=UserType.PROFESSIONAL,
            psychologist__is_active=True,
            is_active=True,
            day_of_week__in=_weekdays(start_date, end_date),
        )
        .select_related("psychologist__professional_profile")
        .order_by()
    )
    if not rules:
        # Nothing to offer: one query tells an unknown professional (404) from an idle one.
        user = professional_get(psychologist_id=pk)
        time_zone, duration = _profile_numbers(user)
        return ProfessionalCalendar.build(
            psychologist_id=pk, time_zone=time_zone, session_duration=duration
        )
    time_zone, duration = _profile_numbers(rules[0].psychologist)
    zone = get_zone(time_zone)
    blocked = BlockedDate.objects.filter(
        psychologist_id=pk, date__gte=start_date, date__lte=end_date
    ).order_by()
    window_start, window_end = day_bounds_utc(start_date, end_date, [zone])
    appointments = _active_appointment_spans(
        Q(psychologist_id=pk),
        window_start,
        window_end,
        exclude_appointment_id,
        hide_holds=hide_holds,
        viewer=viewer,
    )
    return ProfessionalCalendar.build(
        psychologist_id=pk,
        time_zone=time_zone,
        session_duration=duration,
        rules=rules,
        blocked_dates=blocked,
        appointments=[(start, end) for _pk, start, end in appointments],
    )


def _active_appointment_spans(
    condition: Q, window_start, window_end, exclude_id=None, *, hide_holds=False, viewer=None
):
    """(psychologist_id, start, end) of active appointments that could touch the window;
    with ``hide_holds``, and in the same query, of the waiting list's live holds for anyone
    but ``viewer``."""
    # Widen by the buffer so a neighbour's buffer is seen even when it starts outside.
    margin = BookingPolicy.from_settings().buffer
    queryset = Appointment.objects.active().filter(
        condition, start__lt=window_end + margin, end__gt=window_start - margin
    )
    if exclude_id is not None:
        queryset = queryset.exclude(pk=exclude_id)
    spans = queryset.order_by().values_list("psychologist_id", "start", "end")
    if not hide_holds:
        return spans
    holds = WaitlistOffer.objects.filter(
        condition,
        status=WaitlistOfferStatus.HELD,
        expires_at__gt=timezone.now(),
        start__lt=window_end + margin,
        end__gt=window_start - margin,
    )
    viewer_pk = getattr(viewer, "pk", None)
    if viewer_pk is not None:
        holds = holds.exclude(entry__patient_id=viewer_pk)
    # No ordering at all: Django 6.1 would otherwise order the union by the model's Meta ordering,
    # whose columns are not in the result set.
    return spans.union(
        holds.order_by().values_list("psychologist_id", "start", "end"), all=True
    ).order_by()


def available_slots_between(
    *,
    psychologist,
    start_date: dt.date,
    end_date: dt.date,
    now: dt.datetime | None = None,
) -> dict[dt.date, list[Slot]]:
    """Free, bookable slots of one professional for every local day in a range (≤ 3 queries).

    Days are the professional's local days; each :class:`~psico_scheduling.slots.Slot` has
    UTC ``start``/``end`` and local ``start_time``/``end_time``. Raises ``User.DoesNotExist``
    for an unknown or non-professional ``psychologist``.
    """
    calendar = professional_calendar(
        psychologist=psychologist, start_date=start_date, end_date=end_date
    )
    return calendar_slots(calendar, start_date=start_date, end_date=end_date, now=now)


def calendar_slots(
    calendar: ProfessionalCalendar,
    *,
    start_date: dt.date,
    end_date: dt.date,
    now: dt.datetime | None = None,
) -> dict[dt.date, list[Slot]]:
    """Free slots of an already loaded calendar under the current ``PSICO_SCHEDULING``."""
    return calendar.slots_between(
        start_date,
        end_date,
        now=now or timezone.now(),
        policy=BookingPolicy.from_settings(),
    )


def available_slots(*, psychologist, date: dt.date, now: dt.datetime | None = None) -> list[Slot]:
    """Free, bookable slots of one professional on one local day (≤ 3 queries)."""
    return available_slots_between(
        psychologist=psychologist, start_date=date, end_date=date, now=now
    )[date]


def professionals_with_free_slots(
    *,
    date: dt.date,
    specialization: str | None = None,
    city: str | None = None,
    now: dt.datetime | None = None,
    viewer=None,
) -> list[tuple[Any, list[Slot]]]:
    """Public professionals with at least one free slot on ``date``, each with its slots.

    A constant number of queries whatever the number of professionals: the candidates (with
    profile and specializations), then the rules, blocked dates and appointments of all of
    them at once; slots are computed in Python with a linear sweep per professional.
    ``specialization`` is an id or a slug; ``city`` matches case-insensitively. Times the
    waiting list holds for someone other than ``viewer`` are not offered.
    """
    candidates = (
        bookable_professionals()
        .filter(professional_profile__is_public=True)
        .prefetch_related("professional_profile__specializations")
        .order_by("last_name", "first_name", "pk")
    )
    # The directory's own reading of "id or slug" and of the city.
    candidates = professionals_filter(candidates, specialization=specialization, city=city)
    now = now or timezone.now()
    policy = BookingPolicy.from_settings()

    rules_by_pk: dict[int, list] = defaultdict(list)
    for rule in WeeklyAvailability.objects.filter(
        psychologist__in=candidates, is_active=True, day_of_week=date.weekday()
    ).order_by():
        rules_by_pk[rule.psychologist_id].append(rule)
    if not rules_by_pk:
        return []
    professionals = [user for user in candidates.distinct() if user.pk in rules_by_pk]
    if not professionals:
        return []
    pks = [user.pk for user in professionals]
    blocked_by_pk: dict[int, list] = defaultdict(list)
    for block in BlockedDate.objects.filter(psychologist_id__in=pks, date=date).order_by():
        blocked_by_pk[block.psychologist_id].append(block)
    zones = {professional_time_zone(user) for user in professionals}
    window_start, window_end = day_bounds_utc(date, date, list(zones))
    spans_by_pk: dict[int, list] = defaultdict(list)
    for pk, start, end in _active_appointment_spans(
        Q(psychologist_id__in=pks), window_start, window_end, hide_holds=True, viewer=viewer
    ):
        spans_by_pk[pk].append((start, end))

    results = []
    for user in professionals:
        time_zone, duration = _profile_numbers(user)
        calendar = ProfessionalCalendar.build(
            psychologist_id=user.pk,
            time_zone=time_zone,
            session_duration=duration,
            rules=rules_by_pk[user.pk],
            blocked_dates=blocked_by_pk[user.pk],
            appointments=spans_by_pk[user.pk],
        )
        slots = calendar.slots_on(date, now=now, policy=policy)
        if slots:
            results.append((user, slots))
    return results


def appointments_visible_to(*, user) -> QuerySet:
    """Appointments ``user`` may see (own as patient or professional; admins all), with
    everything the API shows joined in, ordered by start."""
    return (
        Appointment.objects.for_user(user)
        .select_related("patient", "psychologist__professional_profile")
        .order_by("start", "pk")
    )


def patient_is_known_to(*, patient, psychologist) -> bool:
    """Whether ``patient`` already has a non-cancelled appointment (past or future) with
    ``psychologist`` (a user or an id): what makes them one of the professional's patients."""
    return (
        Appointment.objects.active()
        .filter(patient=patient, psychologist_id=getattr(psychologist, "pk", psychologist))
        .exists()
    )


def appointment_is_participant(*, appointment: Appointment, user) -> bool:
    """Whether ``user`` is the appointment's patient or its professional.

    The one answer to "who takes part" for every package: scheduling lets clinic admins act
    on top of it, the chat does not. A non-participant is told the appointment is not found
    (404); a participant whose role may not do something is refused (403).
    """
    pk = getattr(user, "pk", None)
    return pk is not None and pk in (appointment.patient_id, appointment.psychologist_id)


def appointment_for_participant(*, user, appointment_id: int) -> Appointment | None:
    """The appointment (people loaded) if ``user`` takes part in it; None otherwise, whether
    it exists or not, so callers answer both alike."""
    if getattr(user, "pk", None) is None:
        return None
    return (
        Appointment.objects.with_participant(user)
        .select_related("patient", "psychologist")
        .filter(pk=appointment_id)
        .first()
    )


def appointment_is_open(appointment: Appointment) -> bool:
    """Whether the appointment can still change: pending or confirmed, and not started."""
    return (
        appointment.status in (AppointmentStatus.PENDING, AppointmentStatus.CONFIRMED)
        and appointment.start > timezone.now()
    )


def appointments_between(
    queryset: QuerySet, *, date_from: dt.date | None = None, date_to: dt.date | None = None
) -> QuerySet:
    """Narrows ``queryset`` to appointments starting on local dates in range, each read in its
    professional's time zone: the same date the appointment shows as ``appointment_date``.

    One extra query finds the zones involved (a handful); the range is then one condition
    per zone, so the result stays a queryset for ordering and pagination.
    """
    if date_from is None and date_to is None:
        return queryset
    zone_field = "psychologist__professional_profile__time_zone"
    names = set(queryset.order_by().values_list(zone_field, flat=True).distinct())
    condition = Q(pk__in=[])
    for name in names:
        zone = get_zone(name)
        in_zone = Q(**{f"{zone_field}__isnull": True}) if name is None else Q(**{zone_field: name})
        if date_from is not None:
            in_zone &= Q(start__gte=dt.datetime.combine(date_from, dt.time(0), zone))
        if date_to is not None:
            after = date_to + dt.timedelta(days=1)
            in_zone &= Q(start__lt=dt.datetime.combine(after, dt.time(0), zone))
        condition |= in_zone
    return queryset.filter(condition)


def availability_rules_of(*, psychologist, only_active: bool = False) -> QuerySet:
    """Weekly rules of one professional, by weekday and start."""
    queryset = WeeklyAvailability.objects.filter(psychologist=psychologist)
    if only_active:
        queryset = queryset.filter(is_active=True)
    return queryset.order_by("day_of_week", "start_time", "pk")


def blocked_dates_of(*, psychologist) -> QuerySet:
    """Blocked dates of one professional, by date; whole days before ranges of that day."""
    return BlockedDate.objects.filter(psychologist=psychologist).order_by(
        "date", F("start_time").asc(nulls_first=True), "pk"
    )


def month_bounds(month: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last day of the month of ``month``."""
    first = month.replace(day=1)
    next_first = (first + dt.timedelta(days=31)).replace(day=1)
    return first, next_first - dt.timedelta(days=1)


def appointment_month_summary(*, month: dt.date, psychologist_id: int | None) -> dict[str, Any]:
    """Sessions by status and fees by payment status of the appointments starting in the
    month of ``month`` (local dates in each professional's time zone, as the list's
    ``date_from``/``date_to``), for one professional or, with ``psychologist_id=None``, the
    whole clinic. Two queries, whatever the number of appointments: the zones involved and
    one aggregate.

    Fees are summed over every appointment of the month except cancelled ones still unpaid
    (nothing is owed for those; a charged late cancellation marked paid counts). An
    appointment without a fee adds nothing. Sums are ``Decimal`` with two places.
    """
    first, last = month_bounds(month)
    queryset: QuerySet = Appointment.objects.all()
    if psychologist_id is not None:
        queryset = queryset.filter(psychologist_id=psychologist_id)
    queryset = appointments_between(queryset, date_from=first, date_to=last)
    owed = ~Q(status=AppointmentStatus.CANCELLED, payment_status=PaymentStatus.UNPAID)
    aggregates: dict[str, Any] = {
        f"sessions_{value}": Count("pk", filter=Q(status=value))
        for value in AppointmentStatus.values
    }
    aggregates |= {
        f"fees_{value}": Sum("fee", filter=owed & Q(payment_status=value))
        for value in PaymentStatus.values
    }
    figures = queryset.order_by().aggregate(**aggregates)
    sessions = {value: figures[f"sessions_{value}"] for value in AppointmentStatus.values}
    cents = Decimal("0.01")
    fees = {
        value: (figures[f"fees_{value}"] or Decimal(0)).quantize(cents)
        for value in PaymentStatus.values
    }
    return {
        "month": first.strftime("%Y-%m"),
        "psychologist": psychologist_id,
        "sessions": {"total": sum(sessions.values()), **sessions},
        "fees": fees,
    }


def appointment_series_visible_to(*, user) -> QuerySet:
    """Recurring series ``user`` may see (own as patient or professional; admins all), newest
    first, with their appointments (as :func:`appointments_visible_to` joins them) and their
    dates prefetched: four queries for a page, whatever it holds."""
    return (
        AppointmentSeries.objects.for_user(user)
        .select_related("patient", "psychologist__professional_profile")
        .prefetch_related(
            Prefetch(
                "appointments",
                queryset=Appointment.objects.select_related(
                    "patient", "psychologist__professional_profile"
                ).order_by("start", "pk"),
            ),
            Prefetch("dates", queryset=SeriesDate.objects.order_by("date")),
        )
        .order_by("-created_at", "-pk")
    )


# -- waiting list ---------------------------------------------------------------------------


def waitlist_holds_overlapping(
    *, psychologist_id: int, start: dt.datetime, end: dt.datetime, now: dt.datetime
) -> QuerySet:
    """Live holds (held, not expired at ``now``) of a professional touching ``[start, end)``."""
    return WaitlistOffer.objects.filter(
        psychologist_id=psychologist_id,
        status=WaitlistOfferStatus.HELD,
        expires_at__gt=now,
        start__lt=end,
        end__gt=start,
    )


def waitlist_line_for(
    *, psychologist_id: int, day: dt.date, start: dt.datetime, freed_by_id: int, now: dt.datetime
) -> QuerySet:
    """The active entries of a professional whose dates contain ``day``, first in line
    first, without those that hold another time now or already had this time (``start``,
    freed by the appointment ``freed_by_id``) offered: it goes down the line once."""
    offered_before = WaitlistOffer.objects.filter(
        psychologist_id=psychologist_id, start=start, freed_by_id=freed_by_id
    )
    holding = WaitlistOffer.objects.filter(status=WaitlistOfferStatus.HELD, expires_at__gt=now)
    return (
        WaitlistEntry.objects.filter(
            psychologist_id=psychologist_id,
            status=WaitlistStatus.ACTIVE,
            date_from__lte=day,
            date_to__gte=day,
        )
        .exclude(pk__in=offered_before.values("entry_id"))
        .exclude(pk__in=holding.values("entry_id"))
        .order_by("created_at", "pk")
    )


def waitlist_entries_of(*, patient) -> QuerySet:
    """A patient's waiting list entries, newest first, with the professional and the live
    hold (``live_offers``, a list of at most one) loaded: three queries in all. Withdrawn
    entries are gone for the patient (a DELETE is a DELETE); booked and expired ones stay as
    their history."""
    live = WaitlistOffer.objects.filter(
        status=WaitlistOfferStatus.HELD, expires_at__gt=timezone.now()
    ).order_by("start")
    return (
        WaitlistEntry.objects.filter(patient=patient)
        .exclude(status=WaitlistStatus.WITHDRAWN)
        .select_related("psychologist__professional_profile")
        .prefetch_related(Prefetch("offers", queryset=live, to_attr="live_offers"))
        .order_by("-created_at", "-pk")
    )
