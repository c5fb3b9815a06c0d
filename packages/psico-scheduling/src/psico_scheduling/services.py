"""Writes: every scheduling rule lives here, once, for the API, the admin and the commands.

Business-rule refusals raise Django's ``ValidationError`` (the API answers 400); a role that
may never do something raises ``PermissionDenied`` (403).
"""

from __future__ import annotations

import datetime as dt
from functools import partial

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from psico_accounts.selectors import user_may_book

from . import selectors
from .conf import scheduling_settings
from .models import (
    Appointment,
    AppointmentEvent,
    AppointmentSeries,
    AppointmentStatus,
    BlockedDate,
    PaymentStatus,
    SeriesDate,
    SeriesDateStatus,
    SeriesFrequency,
    SessionModality,
    WaitlistEntry,
    WaitlistOffer,
    WaitlistOfferStatus,
    WaitlistStatus,
    WeeklyAvailability,
)
from .signals import (
    APPOINTMENT_BOOKED,
    APPOINTMENT_CANCELLED,
    APPOINTMENT_COMPLETED,
    APPOINTMENT_CONFIRMED,
    APPOINTMENT_NO_SHOW,
    APPOINTMENT_RESCHEDULED,
    WAITLIST_OFFERED,
    appointment_changed_announce,
)
from .slots import BookingPolicy, local_time_exists, local_to_utc
from .validators import validate_date_in_window, validate_meeting_url

# Booking refusals: one message each, so the client can tell the person what to change.
NOT_A_PROFESSIONAL = _("The selected user is not a professional who takes appointments.")
ONLY_PATIENTS_BOOK = _("Only patients can book appointments.")
TIME_DOES_NOT_EXIST = _(
    "That time does not exist in the professional's time zone (the clocks change that day)."
)
IN_THE_PAST = _("You cannot book an appointment in the past.")
TOO_SOON = _("Appointments must be booked at least %(minutes)s minutes in advance.")
TOO_FAR_AHEAD = _("Appointments can be booked at most %(days)s days ahead.")
OUTSIDE_WEEKLY_RULES = _("The professional does not attend at that time.")
BLOCKED = _("The professional is not available on that date or at that time.")
OFF_GRID = _(
    "Appointments start every %(minutes)s minutes from %(start)s; choose one of the offered times."
)
PROFESSIONAL_BUSY = _("The professional already has an appointment at that time.")
PATIENT_BUSY = _("You already have another appointment at that time.")
NOT_A_PATIENT = _("Appointments are booked for a patient's account; choose a patient.")
ONLY_ADMINS_BOOK_FOR_OTHERS = _("Only clinic administrators can book for another patient.")
NOT_ACCEPTING_NEW_PATIENTS = _(
    "This professional is not taking new patients; only their current patients can book."
)
NOT_PUBLIC = _("This professional is booked through the clinic; please contact the front desk.")
HELD_FOR_WAITLIST = _(
    "This time is being held for a patient on the waiting list; please choose another time."
)
EMAIL_NOT_VERIFIED = _(
    "Confirm your email address before booking: open the link in the email we sent you "
    "(you can ask for a new one)."
)

# Lifecycle refusals.
NOT_PENDING = _("Only a pending appointment can be confirmed.")
ALREADY_STARTED = _("This appointment has already started.")
NOT_CANCELLABLE = _("Only a pending or confirmed appointment can be cancelled.")
CANCELLATION_REASON_REQUIRED = _("Please give a reason for the cancellation.")
NOT_STARTED_YET = _("An appointment can only be marked after its start time.")
NOT_OPEN = _("Only a pending or confirmed appointment can be marked as completed or no-show.")
NOT_RESCHEDULABLE = _(
    "Only a pending or confirmed appointment that has not started can be changed."
)
ONLY_THE_PROFESSIONAL = _("Only the appointment's professional can do this.")
ONLY_PARTICIPANTS = _("Only the appointment's patient or professional can do this.")
ONLY_THE_PATIENT_EDITS_REASON = _("Only the patient can change the reason for the appointment.")

# Schedule refusals.
NOT_A_SCHEDULE_OWNER = _("Only professionals have a weekly schedule.")
RULES_OVERLAP = _("This range overlaps another active range of yours on the same day.")
END_BEFORE_START = _("The end time must be later than the start time.")
BLOCKED_DATE_IN_PAST = _("You cannot block a date in the past.")
BLOCKED_RANGE_INCOMPLETE = _("Give both a start and an end time, or neither to block the day.")

# Session details refusals.
ONLY_THE_PROFESSIONAL_SETS_DETAILS = _(
    "Only the appointment's professional or the clinic can change this; ask them to."
)
PLACE_NOT_CHANGEABLE = _(
    "The modality and place of an appointment can only be changed before it starts, while it"
    " is pending or confirmed."
)
LOCATION_ONLY_IN_PERSON = _("A location is only for in-person sessions.")
MEETING_URL_ONLY_ONLINE = _("A meeting URL is only for online sessions.")
LOCATION_MAX_LENGTH = 255


# -- weekly availability -------------------------------------------------------------------


def availability_rule_validate(
    *,
    psychologist,
    day_of_week: int,
    start_time: dt.time,
    end_time: dt.time,
    is_active: bool,
    exclude_id: int | None = None,
) -> None:
    """Refuses a schedule for someone who is not a professional, an inverted range, or an
    active range overlapping another active one that day. The admin's form calls it to show
    the refusal as a form error; the writing services call it again under a lock."""
    _require_schedule_owner(psychologist)
    if start_time >= end_time:
        raise ValidationError({"end_time": END_BEFORE_START})
    if not is_active:
        return
    overlapping = WeeklyAvailability.objects.filter(
        psychologist=psychologist,
        day_of_week=day_of_week,
        is_active=True,
        start_time__lt=end_time,
        end_time__gt=start_time,
    )
    if exclude_id is not None:
        overlapping = overlapping.exclude(pk=exclude_id)
    if overlapping.exists():
        raise ValidationError(RULES_OVERLAP)


def _require_schedule_owner(user) -> None:
    # ``user`` is who the schedule is for, not who asks: a wrong choice is bad input (400).
    if not getattr(user, "is_professional", False):
        raise ValidationError({"psychologist": NOT_A_SCHEDULE_OWNER})


def _lock_users(*pks: int) -> None:
    """Serialises schedule writes per person: a row lock on PostgreSQL, taken in pk order so
    two transactions never wait on each other; SQLite's BEGIN IMMEDIATE already serialises."""
    list(
        get_user_model()
        .objects.select_for_update()
        .filter(pk__in=sorted(set(pks)))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def availability_rule_create(
    *,
    psychologist,
    day_of_week: int,
    start_time: dt.time,
    end_time: dt.time,
    is_active: bool = True,
) -> WeeklyAvailability:
    """Adds a weekly range of working hours; overlapping active ranges are refused."""
    with transaction.atomic():
        _lock_users(psychologist.pk)
        availability_rule_validate(
            psychologist=psychologist,
            day_of_week=day_of_week,
            start_time=start_time,
            end_time=end_time,
            is_active=is_active,
        )
        return WeeklyAvailability.objects.create(
            psychologist=psychologist,
            day_of_week=day_of_week,
            start_time=start_time,
            end_time=end_time,
            is_active=is_active,
        )


def availability_rule_update(
    *,
    rule: WeeklyAvailability,
    day_of_week: int | None = None,
    start_time: dt.time | None = None,
    end_time: dt.time | None = None,
    is_active: bool | None = None,
) -> WeeklyAvailability:
    """Changes a weekly range; the result is checked like a new one. Booked appointments
    are kept: changing the schedule never cancels anybody."""
    with transaction.atomic():
        _lock_users(rule.psychologist_id)
        if day_of_week is not None:
            rule.day_of_week = day_of_week
        if start_time is not None:
            rule.start_time = start_time
        if end_time is not None:
            rule.end_time = end_time
        if is_active is not None:
            rule.is_active = is_active
        availability_rule_validate(
            psychologist=rule.psychologist,
            day_of_week=rule.day_of_week,
            start_time=rule.start_time,
            end_time=rule.end_time,
            is_active=rule.is_active,
            exclude_id=rule.pk,
        )
        rule.save()
    return rule


def availability_rule_delete(*, rule: WeeklyAvailability) -> None:
    """Removes a weekly range; booked appointments are kept."""
    rule.delete()


# -- blocked dates -------------------------------------------------------------------------


def blocked_date_validate(
    *, psychologist, date: dt.date, start_time: dt.time | None, end_time: dt.time | None
) -> None:
    """Refuses a past date (in the professional's time zone), half a range, or an inverted
    range, and a date outside the scheduling window (``DATE_WINDOW_DAYS``); and a blocked
    date for someone who is not a professional."""
    _require_schedule_owner(psychologist)
    try:
        validate_date_in_window(date)
    except ValidationError as exc:
        raise ValidationError({"date": exc.error_list}) from None
    today = timezone.now().astimezone(selectors.professional_time_zone(psychologist)).date()
    if date < today:
        raise ValidationError({"date": BLOCKED_DATE_IN_PAST})
    if (start_time is None) != (end_time is None):
        raise ValidationError(BLOCKED_RANGE_INCOMPLETE)
    if start_time is not None and end_time is not None and start_time >= end_time:
        raise ValidationError({"end_time": END_BEFORE_START})


def blocked_date_create(
    *,
    psychologist,
    date: dt.date,
    start_time: dt.time | None = None,
    end_time: dt.time | None = None,
    reason: str = "",
) -> BlockedDate:
    """Blocks a whole day, or a time range inside it, for new bookings. Appointments already
    booked there are kept; the professional cancels them if needed."""
    blocked_date_validate(
        psychologist=psychologist, date=date, start_time=start_time, end_time=end_time
    )
    return BlockedDate.objects.create(
        psychologist=psychologist,
        date=date,
        start_time=start_time,
        end_time=end_time,
        reason=reason,
    )


def blocked_date_delete(*, blocked_date: BlockedDate) -> None:
    """Opens a blocked date (or range) again."""
    blocked_date.delete()


# -- booking -------------------------------------------------------------------------------


def _check_booking(
    *,
    patient,
    psychologist,
    date: dt.date,
    start_time: dt.time,
    exclude_appointment_id: int | None = None,
) -> tuple[dt.datetime, dt.datetime]:
    """Every booking rule, in order; returns the UTC (start, end) of a bookable time."""
    try:
        # First: the calendar's date arithmetic would overflow on 9999-12-31 or 0001-01-01.
        validate_date_in_window(date)
    except ValidationError as exc:
        raise ValidationError({"appointment_date": exc.error_list}) from None
    User = get_user_model()
    try:
        calendar = selectors.professional_calendar(
            psychologist=psychologist,
            start_date=date,
            end_date=date,
            exclude_appointment_id=exclude_appointment_id,
        )
    except User.DoesNotExist:
        raise ValidationError({"psychologist": NOT_A_PROFESSIONAL}) from None
    zone = calendar.zone
    if not local_time_exists(date, start_time, zone):
        raise ValidationError({"start_time": TIME_DOES_NOT_EXIST})
    start = local_to_utc(date, start_time, zone)
    end = start + calendar.duration
    policy = BookingPolicy.from_settings()
    now = timezone.now()
    if start < now:
        raise ValidationError(IN_THE_PAST)
    if start < now + policy.min_notice:
        raise ValidationError(TOO_SOON, params={"minutes": scheduling_settings.MIN_NOTICE_MINUTES})
    if date > policy.last_bookable_day(now, zone):
        raise ValidationError(TOO_FAR_AHEAD, params={"days": policy.max_days_ahead})
    rule = calendar.covering_rule(date, start_time)
    if rule is None:
        raise ValidationError(OUTSIDE_WEEKLY_RULES)
    blocked = calendar.blocked_intervals(date)
    if blocked is None or any(b_start < end and start < b_end for b_start, b_end in blocked):
        raise ValidationError(BLOCKED)
    step = policy.step_minutes(calendar.session_duration)
    if not calendar.is_on_grid(rule, start_time, step):
        raise ValidationError(
            OFF_GRID, params={"minutes": step, "start": rule.start_time.strftime("%H:%M")}
        )
    if any(
        b_start < end and start < b_end for b_start, b_end in calendar.busy_intervals(policy.buffer)
    ):
        raise ValidationError(PROFESSIONAL_BUSY)
    # A held time counts as booked, buffers included: the holder must still be able to book.
    if (
        selectors.waitlist_holds_overlapping(
            psychologist_id=calendar.psychologist_id,
            start=start - policy.buffer,
            end=end + policy.buffer,
            now=now,
        )
        .exclude(entry__patient=patient)
        .exists()
    ):
        raise ValidationError(HELD_FOR_WAITLIST)
    patient_overlaps = Appointment.objects.active().filter(
        patient=patient, start__lt=end, end__gt=start
    )
    if exclude_appointment_id is not None:
        patient_overlaps = patient_overlaps.exclude(pk=exclude_appointment_id)
    if patient_overlaps.exists():
        raise ValidationError(PATIENT_BUSY)
    return start, end


def _save_guarded(appointment: Appointment, **save_kwargs) -> None:
    """Saves inside a savepoint: a race lost to the database constraints becomes the same
    clean refusal as the Python check, and the outer transaction stays usable."""
    try:
        with transaction.atomic():
            appointment.save(**save_kwargs)
    except IntegrityError:
        raise ValidationError(PROFESSIONAL_BUSY) from None


def _require_may_take(*, patient, psychologist_id, by) -> None:
    """Who may be booked with whom, from the professional's profile.

    ``accepting_new_patients = False``: only a patient who already has a non-cancelled
    appointment with the professional is booked, whoever books (the front desk included:
    the flag is about the professional's caseload, not about who asks). ``is_public = False``:
    the professional is out of the directory, and a patient booking alone must already be
    theirs; the front desk may book anyone for them. One query for the flags, one more only
    when a flag is off. An unknown professional is left to the booking checks (its own 400).
    """
    flags = (
        selectors.bookable_professionals()
        .filter(pk=psychologist_id)
        .values_list(
            "professional_profile__accepting_new_patients", "professional_profile__is_public"
        )
        .first()
    )
    if flags is None:
        return
    # A professional without a profile has the profile's defaults: accepting and public.
    accepting, public = (True if flag is None else flag for flag in flags)
    by_front_desk = _is_admin(by)
    if accepting and (public or by_front_desk):
        return
    if selectors.patient_is_known_to(patient=patient, psychologist=psychologist_id):
        return
    if not accepting:
        raise ValidationError({"psychologist": NOT_ACCEPTING_NEW_PATIENTS})
    raise ValidationError({"psychologist": NOT_PUBLIC})


def _require_may_book_for(*, patient, by):
    """Who books for whom: a patient for themselves, a clinic admin for a patient (403 for
    anyone else, 400 on ``patient`` when the front desk named someone who is not a patient).
    Returns who books (``patient`` when ``by`` is None)."""
    by = patient if by is None else by
    if by.pk != patient.pk and not _is_admin(by):
        raise PermissionDenied(ONLY_ADMINS_BOOK_FOR_OTHERS)
    if not getattr(patient, "is_patient", False):
        if by.pk != patient.pk:
            raise ValidationError({"patient": NOT_A_PATIENT})
        raise PermissionDenied(ONLY_PATIENTS_BOOK)
    # PSICO_ACCOUNTS["REQUIRE_VERIFIED_EMAIL_TO_BOOK"]: a patient booking alone must have
    # confirmed their address; the front desk, which spoke to them, may book anyway.
    if by.pk == patient.pk and not user_may_book(user=patient):
        raise ValidationError(EMAIL_NOT_VERIFIED, code="email_not_verified")
    return by


def appointment_book(
    *,
    patient,
    psychologist,
    date: dt.date,
    start_time: dt.time,
    reason: str = "",
    by=None,
    series=None,
) -> Appointment:
    """Books ``patient`` with ``psychologist`` at local ``date`` ``start_time`` (the
    professional's time zone), as a pending appointment (of ``series``, when a recurring
    series books it).

    ``by`` is who books: the patient themselves (the default) or a clinic admin (the front
    desk, booking for a patient who phoned); it is the event's actor. Anyone else booking for
    a patient is refused (403), and so is booking for someone who is not a patient (a 400 on
    ``patient`` when the front desk named them).

    Checks, each with its own message: a confirmed email address when
    ``PSICO_ACCOUNTS["REQUIRE_VERIFIED_EMAIL_TO_BOOK"]`` is on (a patient booking alone only),
    who may book this professional
    (``accepting_new_patients``, ``is_public``), a professional, an existing local time, not
    past, the minimum notice, the horizon, inside an active weekly rule, not blocked, on the
    slot grid, and no overlap with the professional's (plus buffers) or the patient's active
    appointments. Both users' rows are locked first so that concurrent bookings queue; the
    database constraints back this up.
    """
    by = _require_may_book_for(patient=patient, by=by)
    psychologist_id = getattr(psychologist, "pk", psychologist)
    with transaction.atomic():
        _lock_users(patient.pk, psychologist_id)
        _require_may_take(patient=patient, psychologist_id=psychologist_id, by=by)
        start, end = _check_booking(
            patient=patient, psychologist=psychologist_id, date=date, start_time=start_time
        )
        appointment = Appointment(
            patient=patient,
            psychologist_id=psychologist_id,
            start=start,
            end=end,
            status=AppointmentStatus.PENDING,
            reason=reason,
            series=series,
            **appointment_details_at_booking(psychologist_id=psychologist_id),
        )
        _save_guarded(appointment)
        _waitlist_hold_claim(appointment)
        _record(appointment, event=APPOINTMENT_BOOKED, by=by)
    return appointment


def _event_payload(**values) -> dict:
    # Times as ISO 8601 in UTC, so that the payload reads the same before and after its JSON
    # round trip through the database.
    return {
        key: value.astimezone(dt.UTC).isoformat() if isinstance(value, dt.datetime) else value
        for key, value in values.items()
    }


def _record(appointment: Appointment, *, event: str, by, **payload) -> AppointmentEvent:
    """Writes the outbox row of a change in the caller's transaction and announces it.

    Every caller holds the appointment's row lock (or has just created it), so counting its
    earlier events gives the next ``sequence`` without a race; the unique constraint on
    (appointment, sequence) backs that up. The relay is enqueued once the transaction commits.
    """
    from .tasks import relay_appointment_events_soon

    record = AppointmentEvent.objects.create(
        appointment=appointment,
        name=event,
        sequence=AppointmentEvent.objects.filter(appointment=appointment).count(),
        actor=by,
        payload=_event_payload(start=appointment.start, end=appointment.end, **payload),
    )
    appointment_changed_announce(appointment=appointment, event=event, by=by)
    transaction.on_commit(relay_appointment_events_soon)
    return record


# -- lifecycle -----------------------------------------------------------------------------


def _is_admin(user) -> bool:
    return bool(getattr(user, "is_clinic_admin", False))


def _require_participant(appointment: Appointment, by) -> None:
    if _is_admin(by) or selectors.appointment_is_participant(appointment=appointment, user=by):
        return
    raise PermissionDenied(ONLY_PARTICIPANTS)


def _require_professional_of(appointment: Appointment, by) -> None:
    if _is_admin(by) or by.pk == appointment.psychologist_id:
        return
    raise PermissionDenied(ONLY_THE_PROFESSIONAL)


def _lock_appointment(appointment: Appointment) -> None:
    """Re-reads the row under a lock, so two transitions never both start from one state."""
    appointment.refresh_from_db(from_queryset=Appointment.objects.select_for_update())


def appointment_confirm(*, appointment: Appointment, by) -> Appointment:
    """The professional (or a clinic admin) confirms a pending appointment before it starts."""
    _require_professional_of(appointment, by)
    with transaction.atomic():
        _lock_appointment(appointment)
        if appointment.status != AppointmentStatus.PENDING:
            raise ValidationError(NOT_PENDING)
        if appointment.start <= timezone.now():
            raise ValidationError(ALREADY_STARTED)
        appointment.status = AppointmentStatus.CONFIRMED
        appointment.save(update_fields=["status", "updated_at"])
        _record(appointment, event=APPOINTMENT_CONFIRMED, by=by)
    return appointment


def appointment_cancel(*, appointment: Appointment, by, reason: str) -> Appointment:
    """Either participant (or a clinic admin) cancels a pending or confirmed appointment.

    A reason is required. Inside ``CANCELLATION_WINDOW_HOURS`` before the start the
    cancellation is marked late. The slot becomes bookable again at once.
    """
    _require_participant(appointment, by)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": CANCELLATION_REASON_REQUIRED})
    with transaction.atomic():
        _lock_appointment(appointment)
        if appointment.status not in (AppointmentStatus.PENDING, AppointmentStatus.CONFIRMED):
            raise ValidationError(NOT_CANCELLABLE)
        now = timezone.now()
        if appointment.start <= now:
            raise ValidationError(ALREADY_STARTED)
        window = dt.timedelta(hours=scheduling_settings.CANCELLATION_WINDOW_HOURS)
        appointment.status = AppointmentStatus.CANCELLED
        appointment.cancellation_reason = reason
        appointment.cancelled_by = by
        appointment.cancelled_at = now
        appointment.is_late_cancellation = appointment.start - now < window
        appointment.save(
            update_fields=[
                "status",
                "cancellation_reason",
                "cancelled_by",
                "cancelled_at",
                "is_late_cancellation",
                "updated_at",
            ]
        )
        _record(
            appointment,
            event=APPOINTMENT_CANCELLED,
            by=by,
            late=appointment.is_late_cancellation,
            reason=reason,
        )
    return appointment


def _close(appointment: Appointment, by, status: str, event: str) -> Appointment:
    _require_professional_of(appointment, by)
    with transaction.atomic():
        _lock_appointment(appointment)
        if appointment.status not in (AppointmentStatus.PENDING, AppointmentStatus.CONFIRMED):
            raise ValidationError(NOT_OPEN)
        if appointment.start > timezone.now():
            raise ValidationError(NOT_STARTED_YET)
        appointment.status = status
        appointment.save(update_fields=["status", "updated_at"])
        _record(appointment, event=event, by=by)
    return appointment


def appointment_complete(*, appointment: Appointment, by) -> Appointment:
    """The professional marks a pending or confirmed appointment as held, once it started."""
    return _close(appointment, by, AppointmentStatus.COMPLETED, APPOINTMENT_COMPLETED)


def appointment_mark_no_show(*, appointment: Appointment, by) -> Appointment:
    """The professional records that the patient did not come, once the start has passed."""
    return _close(appointment, by, AppointmentStatus.NO_SHOW, APPOINTMENT_NO_SHOW)


def appointment_update(
    *,
    appointment: Appointment,
    by,
    date: dt.date | None = None,
    start_time: dt.time | None = None,
    reason: str | None = None,
) -> Appointment:
    """Reschedules (new local ``date`` and/or ``start_time``) and/or edits ``reason``.

    Only pending or confirmed appointments that have not started can change. A new time is
    checked exactly as a new booking would be (ignoring this appointment itself) and puts the
    appointment back to pending, because the professional has to accept the new time. Only
    the patient (or a clinic admin) may change the reason: it is the patient's own words.
    All of it happens in one transaction.
    """
    _require_participant(appointment, by)
    if reason is not None and by.pk != appointment.patient_id and not _is_admin(by):
        raise PermissionDenied(ONLY_THE_PATIENT_EDITS_REASON)
    with transaction.atomic():
        _lock_users(appointment.patient_id, appointment.psychologist_id)
        _lock_appointment(appointment)
        if not selectors.appointment_is_open(appointment):
            raise ValidationError(NOT_RESCHEDULABLE)
        update_fields = ["updated_at"]
        rescheduled = date is not None or start_time is not None
        if rescheduled:
            zone = selectors.professional_time_zone(appointment.psychologist)
            local_start = appointment.start.astimezone(zone)
            new_date = date or local_start.date()
            new_time = start_time or local_start.time()
            start, end = _check_booking(
                patient=appointment.patient,
                psychologist=appointment.psychologist_id,
                date=new_date,
                start_time=new_time,
                exclude_appointment_id=appointment.pk,
            )
            previous_start, previous_end = appointment.start, appointment.end
            appointment.start, appointment.end = start, end
            appointment.status = AppointmentStatus.PENDING
            update_fields += ["start", "end", "status"]
        if reason is not None:
            appointment.reason = reason
            update_fields.append("reason")
        _save_guarded(appointment, update_fields=update_fields)
        if rescheduled:
            _waitlist_hold_claim(appointment)
            _record(
                appointment,
                event=APPOINTMENT_RESCHEDULED,
                by=by,
                previous_start=previous_start,
                previous_end=previous_end,
            )
    return appointment


# -- session details -----------------------------------------------------------------------

SESSION_DETAIL_FIELDS = ("modality", "location", "meeting_url", "payment_status")


def appointment_details_at_booking(*, psychologist_id: int) -> dict:
    """What a new appointment copies from its professional's profile: the default
    ``modality`` and the consultation fee as ``fee`` (None without a fee or a profile).
    One query."""
    from psico_accounts.models import ProfessionalProfile

    profile = (
        ProfessionalProfile.objects.filter(user_id=psychologist_id)
        .values("default_modality", "consultation_fee")
        .first()
    )
    if profile is None:
        return {"modality": SessionModality.IN_PERSON, "fee": None}
    return {"modality": profile["default_modality"], "fee": profile["consultation_fee"]}


def appointment_details_update(
    *,
    appointment: Appointment,
    by,
    modality: str | None = None,
    location: str | None = None,
    meeting_url: str | None = None,
    payment_status: str | None = None,
) -> Appointment:
    """The appointment's professional (or a clinic admin) sets where the session happens and
    whether it was paid; ``None`` leaves a detail as it is.

    A patient sending any of them is refused on those fields (400), like ``status``: they are
    the professional's to set. ``modality``, ``location`` and ``meeting_url`` change only
    while the appointment is open (pending or confirmed, not started); ``payment_status``
    changes at any time (a session is often paid after it, or a late cancellation charged).
    Switching the modality clears the other modality's place; a location on an online session
    or a meeting URL on an in-person one is refused; the URL must be https. The fee is never
    changed here: it is what was agreed at booking. Sends no lifecycle event.
    """
    sent = {
        name: value
        for name, value in {
            "modality": modality,
            "location": location,
            "meeting_url": meeting_url,
            "payment_status": payment_status,
        }.items()
        if value is not None
    }
    if not _is_admin(by) and getattr(by, "pk", None) == appointment.patient_id:
        raise ValidationError(dict.fromkeys(sent, ONLY_THE_PROFESSIONAL_SETS_DETAILS))
    _require_professional_of(appointment, by)
    if modality is not None and modality not in SessionModality.values:
        raise ValidationError({"modality": _("Choose in_person or online.")})
    if payment_status is not None and payment_status not in PaymentStatus.values:
        raise ValidationError({"payment_status": _("Choose unpaid, paid or waived.")})
    if location is not None:
        location = location.strip()
        if len(location) > LOCATION_MAX_LENGTH:
            too_long = _("Use at most %(limit)s characters.")
            raise ValidationError(
                {"location": ValidationError(too_long, params={"limit": LOCATION_MAX_LENGTH})}
            )
    if meeting_url is not None:
        meeting_url = meeting_url.strip()
        try:
            validate_meeting_url(meeting_url)
        except ValidationError as exc:
            raise ValidationError({"meeting_url": exc.error_list}) from None
    with transaction.atomic():
        _lock_appointment(appointment)
        update_fields = ["updated_at"]
        if modality is not None or location is not None or meeting_url is not None:
            if not selectors.appointment_is_open(appointment):
                raise ValidationError(PLACE_NOT_CHANGEABLE)
            if modality is not None and modality != appointment.modality:
                appointment.modality = modality
                # The other modality's place no longer applies.
                appointment.location = appointment.meeting_url = ""
            if location is not None:
                appointment.location = location
            if meeting_url is not None:
                appointment.meeting_url = meeting_url
            if appointment.modality == SessionModality.ONLINE and appointment.location:
                raise ValidationError({"location": LOCATION_ONLY_IN_PERSON})
            if appointment.modality == SessionModality.IN_PERSON and appointment.meeting_url:
                raise ValidationError({"meeting_url": MEETING_URL_ONLY_ONLINE})
            update_fields += ["modality", "location", "meeting_url"]
        if payment_status is not None:
            appointment.payment_status = payment_status
            update_fields.append("payment_status")
        appointment.save(update_fields=update_fields)
    return appointment


# -- recurring series ----------------------------------------------------------------------

SERIES_MAX_APPOINTMENTS = 52
SERIES_FREQUENCY_DAYS = {SeriesFrequency.WEEKLY: 7, SeriesFrequency.BIWEEKLY: 14}

SERIES_END_REQUIRED = _("Give either the number of appointments (count) or the last date (until).")
SERIES_ONE_END_ONLY = _("Give either count or until, not both.")
SERIES_TOO_MANY = _("A series has at most %(limit)s appointments.")
SERIES_UNTIL_TOO_FAR = _(
    "A series has at most %(limit)s appointments; choose an earlier last date (until)."
)
SERIES_UNTIL_BEFORE_START = _("The last date must be on or after the start date.")
SERIES_STARTS_IN_THE_PAST = _("A series cannot start in the past.")
SERIES_UNKNOWN_FREQUENCY = _("Choose weekly or biweekly.")
SERIES_NOTHING_BOOKABLE = _("None of the dates of this series can be booked; nothing was booked.")
SERIES_NOT_ALL_BOOKABLE = _(
    "Some dates of this series cannot be booked, so none was (all_or_nothing)."
)
SERIES_NOTHING_TO_CANCEL = _("This series has no appointment left to cancel from that date.")


class SeriesNotBooked(ValidationError):
    """A series refused as a whole (``all_or_nothing``, or no date bookable): ``conflicts``
    holds each refused date as an unsaved :class:`~psico_scheduling.models.SeriesDate`
    (``date``, ``reason``)."""

    def __init__(self, message, *, conflicts: list[SeriesDate]):
        super().__init__(message)
        self.conflicts = conflicts


def series_dates(
    *,
    start_date: dt.date,
    frequency: str,
    count: int | None = None,
    until: dt.date | None = None,
) -> list[dt.date]:
    """The planned dates of a series: ``count`` of them, or every one up to ``until``
    (inclusive), ``frequency`` apart. Exactly one of ``count`` and ``until``; at most
    :data:`SERIES_MAX_APPOINTMENTS` dates."""
    if frequency not in SERIES_FREQUENCY_DAYS:
        raise ValidationError({"frequency": SERIES_UNKNOWN_FREQUENCY})
    if (count is None) == (until is None):
        message = SERIES_END_REQUIRED if count is None else SERIES_ONE_END_ONLY
        raise ValidationError({"count": message, "until": message})
    step = dt.timedelta(days=SERIES_FREQUENCY_DAYS[SeriesFrequency(frequency)])
    limit = {"limit": SERIES_MAX_APPOINTMENTS}
    if count is not None:
        if not 1 <= count <= SERIES_MAX_APPOINTMENTS:
            raise ValidationError({"count": ValidationError(SERIES_TOO_MANY, params=limit)})
        return [start_date + step * n for n in range(count)]
    assert until is not None
    if until < start_date:
        raise ValidationError({"until": SERIES_UNTIL_BEFORE_START})
    if (until - start_date) // step >= SERIES_MAX_APPOINTMENTS:
        raise ValidationError({"until": ValidationError(SERIES_UNTIL_TOO_FAR, params=limit)})
    return [start_date + step * n for n in range((until - start_date) // step + 1)]


def _refusal_of(exc: ValidationError | PermissionDenied) -> tuple[str, dict]:
    """The first message of a refusal, untranslated, with its parameters: stored so that
    each reader gets it in their own language."""
    if isinstance(exc, PermissionDenied):
        message, params = (exc.args[0] if exc.args else ""), {}
    else:
        errors = (
            [error for errors in exc.error_dict.values() for error in errors]
            if hasattr(exc, "error_dict")
            else exc.error_list
        )
        message, params = errors[0].message, dict(errors[0].params or {})
    with translation.override(None):
        return str(message), params


def _skipped(series: AppointmentSeries, date: dt.date, exc) -> SeriesDate:
    message, params = _refusal_of(exc)
    return SeriesDate(
        series=series,
        date=date,
        status=SeriesDateStatus.SKIPPED,
        reason_message=message,
        reason_params=params,
    )


def appointment_series_book(
    *,
    patient,
    psychologist,
    start_date: dt.date,
    start_time: dt.time,
    frequency: str,
    count: int | None = None,
    until: dt.date | None = None,
    reason: str = "",
    all_or_nothing: bool = False,
    by=None,
) -> AppointmentSeries:
    """Books ``patient`` with ``psychologist`` every week or every two weeks at local
    ``start_time``, from ``start_date``, ``count`` times or up to ``until``.

    Who may book whom is :func:`appointment_book`'s rule (a patient for themselves, the front
    desk for a patient; ``accepting_new_patients``, ``is_public``), checked once for the
    series. Each date within the booking horizon (``MAX_DAYS_AHEAD``) is then booked by
    :func:`appointment_book` in its own savepoint, with its ``appointment.booked`` event: a
    date a rule refuses is skipped with that rule's message, unless ``all_or_nothing``, when
    nothing is kept and :class:`SeriesNotBooked` lists the refused dates (so it does when no
    date at all could be booked). Dates beyond the horizon are kept pending, and the worker
    (:func:`psico_scheduling.tasks.book_series_dates`) books them, under the same rules, when
    the horizon reaches them; ``all_or_nothing`` cannot promise those.
    """
    by = _require_may_book_for(patient=patient, by=by)
    for name, value in (("start_date", start_date), ("until", until)):
        try:
            validate_date_in_window(value)
        except ValidationError as exc:
            raise ValidationError({name: exc.error_list}) from None
    dates = series_dates(start_date=start_date, frequency=frequency, count=count, until=until)
    psychologist_id = getattr(psychologist, "pk", psychologist)
    try:
        professional = selectors.professional_get(psychologist_id=psychologist_id)
    except get_user_model().DoesNotExist:
        raise ValidationError({"psychologist": NOT_A_PROFESSIONAL}) from None
    zone = selectors.professional_time_zone(professional)
    now = timezone.now()
    if start_date < now.astimezone(zone).date():
        raise ValidationError({"start_date": SERIES_STARTS_IN_THE_PAST})
    horizon = BookingPolicy.from_settings().last_bookable_day(now, zone)
    with transaction.atomic():
        _lock_users(patient.pk, psychologist_id)
        _require_may_take(patient=patient, psychologist_id=psychologist_id, by=by)
        series = AppointmentSeries.objects.create(
            patient=patient,
            psychologist_id=psychologist_id,
            start_date=start_date,
            start_time=start_time,
            frequency=frequency,
            count=count,
            until=until,
            reason=reason,
            booked_by=by,
        )
        planned = []
        for date in dates:
            if date > horizon:
                planned.append(SeriesDate(series=series, date=date))
                continue
            try:
                appointment_book(
                    patient=patient,
                    psychologist=psychologist_id,
                    date=date,
                    start_time=start_time,
                    reason=reason,
                    by=by,
                    series=series,
                )
            except ValidationError as exc:
                planned.append(_skipped(series, date, exc))
            else:
                planned.append(SeriesDate(series=series, date=date, status=SeriesDateStatus.BOOKED))
        skipped = [date for date in planned if date.status == SeriesDateStatus.SKIPPED]
        if skipped and len(skipped) == len(planned):
            raise SeriesNotBooked(SERIES_NOTHING_BOOKABLE, conflicts=skipped)
        if skipped and all_or_nothing:
            raise SeriesNotBooked(SERIES_NOT_ALL_BOOKABLE, conflicts=skipped)
        SeriesDate.objects.bulk_create(planned)
        if any(date.status == SeriesDateStatus.PENDING for date in planned):
            from .tasks import series_booking_schedule

            transaction.on_commit(partial(series_booking_schedule, series_id=series.pk))
    return series


def series_dates_book_due(*, series_id: int | None = None) -> dict[str, int]:
    """Books the pending dates the booking horizon has reached, of one series or of all;
    returns how many were booked and how many skipped.

    Each date is booked by :func:`appointment_book` (its rules, its ``appointment.booked``
    event), on behalf of whoever booked the series, in its own transaction with the date's
    row locked (``SKIP LOCKED``: two workers never book one date twice). A date a rule
    refuses now (the slot was taken, the day blocked, ...) is recorded as skipped with the
    rule's message, which the patient reads in the series.
    """
    now = timezone.now()
    policy = BookingPolicy.from_settings()
    # Every local date is within a day of the UTC date: the exact bound is per zone, below.
    latest = now.date() + dt.timedelta(days=policy.max_days_ahead + 1)
    due = SeriesDate.objects.filter(status=SeriesDateStatus.PENDING, date__lte=latest)
    if series_id is not None:
        due = due.filter(series_id=series_id)
    outcome = {"booked": 0, "skipped": 0}
    for pk in list(due.order_by("date", "pk").values_list("pk", flat=True)):
        with transaction.atomic():
            planned = (
                SeriesDate.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related(
                    "series__patient",
                    "series__psychologist__professional_profile",
                    "series__booked_by",
                )
                .filter(pk=pk, status=SeriesDateStatus.PENDING)
                .first()
            )
            if planned is None:
                continue
            series = planned.series
            zone = selectors.professional_time_zone(series.psychologist)
            if planned.date > policy.last_bookable_day(now, zone):
                continue
            try:
                appointment_book(
                    patient=series.patient,
                    psychologist=series.psychologist_id,
                    date=planned.date,
                    start_time=series.start_time,
                    reason=series.reason,
                    by=series.booked_by or series.patient,
                    series=series,
                )
            except (ValidationError, PermissionDenied) as exc:
                skipped = _skipped(series, planned.date, exc)
                planned.status = SeriesDateStatus.SKIPPED
                planned.reason_message = skipped.reason_message
                planned.reason_params = skipped.reason_params
                outcome["skipped"] += 1
            else:
                planned.status = SeriesDateStatus.BOOKED
                outcome["booked"] += 1
            planned.save(update_fields=["status", "reason_message", "reason_params", "updated_at"])
    return outcome


def appointment_series_cancel(
    *, series: AppointmentSeries, by, reason: str, from_date: dt.date | None = None
) -> AppointmentSeries:
    """Cancels the series' appointments from local ``from_date`` on (default: today, in the
    professional's time zone) and its pending dates from then.

    Either participant (or a clinic admin) may, with a reason. Each appointment is cancelled
    by :func:`appointment_cancel`: its own late-cancellation mark, its own event. Appointments
    already started, held or cancelled are left as they are. Refused when nothing is left to
    cancel from that date.
    """
    if not (
        _is_admin(by) or getattr(by, "pk", None) in (series.patient_id, series.psychologist_id)
    ):
        raise PermissionDenied(ONLY_PARTICIPANTS)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": CANCELLATION_REASON_REQUIRED})
    try:
        validate_date_in_window(from_date)
    except ValidationError as exc:
        raise ValidationError({"from_date": exc.error_list}) from None
    zone = selectors.professional_time_zone(series.psychologist)
    now = timezone.now()
    from_date = from_date or now.astimezone(zone).date()
    with transaction.atomic():
        series.refresh_from_db(from_queryset=AppointmentSeries.objects.select_for_update())
        appointments = list(
            Appointment.objects.filter(
                series=series,
                status__in=(AppointmentStatus.PENDING, AppointmentStatus.CONFIRMED),
                start__gte=local_to_utc(from_date, dt.time(0), zone),
                start__gt=now,
            ).order_by("start", "pk")
        )
        for appointment in appointments:
            appointment_cancel(appointment=appointment, by=by, reason=reason)
        pending = SeriesDate.objects.filter(
            series=series, status=SeriesDateStatus.PENDING, date__gte=from_date
        ).update(status=SeriesDateStatus.CANCELLED, updated_at=now)
        if not appointments and not pending:
            raise ValidationError(SERIES_NOTHING_TO_CANCEL)
        if series.cancelled_from is None or from_date < series.cancelled_from:
            series.cancelled_from = from_date
        series.cancellation_reason = reason
        series.cancelled_by = by
        series.cancelled_at = now
        series.save(
            update_fields=[
                "cancelled_from",
                "cancellation_reason",
                "cancelled_by",
                "cancelled_at",
                "updated_at",
            ]
        )
    return series


# -- waiting list --------------------------------------------------------------------------

ONLY_PATIENTS_WAIT = _("Only patients can join a waiting list.")
WAITLIST_WINDOW_INVERTED = _("The last day must be on or after the first day.")
WAITLIST_WINDOW_PAST = _("The last day has already passed.")
WAITLIST_WINDOW_TOO_FAR = _("The waiting list covers at most the next %(days)s days.")
WAITLIST_TIMES_INVERTED = _("Each time range must end after it starts.")
WAITLIST_TIMES_DUPLICATED = _("Each time range may be given only once.")
WAITLIST_TIMES_TOO_MANY = _("Give at most %(limit)s time ranges.")
ALREADY_WAITING = _(
    "You are already on this professional's waiting list; withdraw that entry to change it."
)
WAITLIST_ENTRY_ENDED = _("This waiting list entry has already ended.")
WAITLIST_TIMES_MAX = 8


def _waitlist_times_clean(times) -> list[dict[str, str]]:
    """``[(start, end), ...]`` local times → the stored ``[{"start": "HH:MM", "end": "HH:MM"}]``,
    sorted; inverted, repeated or too many ranges are refused."""
    times = list(times or ())
    if len(times) > WAITLIST_TIMES_MAX:
        too_many = ValidationError(WAITLIST_TIMES_TOO_MANY, params={"limit": WAITLIST_TIMES_MAX})
        raise ValidationError({"times": too_many})
    if any(start >= end for start, end in times):
        raise ValidationError({"times": WAITLIST_TIMES_INVERTED})
    if len(set(times)) != len(times):
        raise ValidationError({"times": WAITLIST_TIMES_DUPLICATED})
    return [{"start": f"{start:%H:%M}", "end": f"{end:%H:%M}"} for start, end in sorted(times)]


def _waitlist_times_contain(times: list[dict[str, str]], start: dt.time, end: dt.time) -> bool:
    if not times:
        return True
    wanted_start, wanted_end = f"{start:%H:%M}", f"{end:%H:%M}"
    return any(r["start"] <= wanted_start and wanted_end <= r["end"] for r in times)


def waitlist_entry_create(
    *,
    patient,
    psychologist,
    date_from: dt.date,
    date_to: dt.date,
    times=(),
) -> WaitlistEntry:
    """Puts ``patient`` on ``psychologist``'s waiting list for any time that frees up between
    the local dates ``date_from`` and ``date_to``, within one of ``times`` (pairs of local
    ``dt.time``; none: any time of day).

    The window must not be past nor reach beyond ``MAX_DAYS_AHEAD``; a patient has one active
    entry per professional; the professional must be one the patient may book. The entry's
    place in line is its creation time.
    """
    if not getattr(patient, "is_patient", False):
        raise PermissionDenied(ONLY_PATIENTS_WAIT)
    for field, value in (("date_from", date_from), ("date_to", date_to)):
        try:
            validate_date_in_window(value)
        except ValidationError as exc:
            raise ValidationError({field: exc.error_list}) from None
    if date_to < date_from:
        raise ValidationError({"date_to": WAITLIST_WINDOW_INVERTED})
    stored_times = _waitlist_times_clean(times)
    psychologist_id = getattr(psychologist, "pk", psychologist)
    try:
        professional = selectors.professional_get(psychologist_id=psychologist_id)
    except get_user_model().DoesNotExist:
        raise ValidationError({"psychologist": NOT_A_PROFESSIONAL}) from None
    zone = selectors.professional_time_zone(professional)
    today = timezone.now().astimezone(zone).date()
    if date_to < today:
        raise ValidationError({"date_to": WAITLIST_WINDOW_PAST})
    policy = BookingPolicy.from_settings()
    if date_to > policy.last_bookable_day(timezone.now(), zone):
        raise ValidationError(
            {
                "date_to": ValidationError(
                    WAITLIST_WINDOW_TOO_FAR, params={"days": policy.max_days_ahead}
                )
            }
        )
    with transaction.atomic():
        _lock_users(patient.pk, psychologist_id)
        _require_may_take(patient=patient, psychologist_id=psychologist_id, by=patient)
        if WaitlistEntry.objects.filter(
            patient=patient, psychologist_id=psychologist_id, status=WaitlistStatus.ACTIVE
        ).exists():
            raise ValidationError(ALREADY_WAITING)
        return WaitlistEntry.objects.create(
            patient=patient,
            psychologist_id=psychologist_id,
            date_from=max(date_from, today),
            date_to=date_to,
            times=stored_times,
        )


def waitlist_entry_withdraw(*, entry: WaitlistEntry) -> WaitlistEntry:
    """The patient leaves the waiting list. A time held for them is released at once and
    offered to the next in line."""
    with transaction.atomic():
        # People first, then the entry and its offers: the booking's order, so the two queue.
        _lock_users(entry.patient_id, entry.psychologist_id)
        entry = WaitlistEntry.objects.select_for_update().get(pk=entry.pk)
        if entry.status != WaitlistStatus.ACTIVE:
            raise ValidationError(WAITLIST_ENTRY_ENDED)
        now = timezone.now()
        entry.status = WaitlistStatus.WITHDRAWN
        entry.ended_at = now
        entry.save(update_fields=["status", "ended_at"])
        released = list(
            WaitlistOffer.objects.select_for_update()
            .filter(entry=entry, status=WaitlistOfferStatus.HELD)
            .select_related("freed_by")
        )
        WaitlistOffer.objects.filter(pk__in=[offer.pk for offer in released]).update(
            status=WaitlistOfferStatus.RELEASED
        )
        for offer in released:
            if offer.expires_at > now:
                _waitlist_offer_next(
                    psychologist_id=offer.psychologist_id,
                    start=offer.start,
                    freed_by=offer.freed_by,
                )
    return entry


def _waitlist_hold_claim(appointment: Appointment) -> None:
    """The patient booked a time held for them: the hold and their entry end as booked."""
    offers = WaitlistOffer.objects.filter(
        psychologist_id=appointment.psychologist_id,
        entry__patient_id=appointment.patient_id,
        status=WaitlistOfferStatus.HELD,
        start__lt=appointment.end,
        end__gt=appointment.start,
    )
    entry_ids = list(offers.values_list("entry_id", flat=True))
    if not entry_ids:
        return
    offers.update(status=WaitlistOfferStatus.BOOKED)
    WaitlistEntry.objects.filter(pk__in=entry_ids, status=WaitlistStatus.ACTIVE).update(
        status=WaitlistStatus.BOOKED, ended_at=timezone.now()
    )


def waitlist_entries_end_passed(*, psychologist_id: int | None = None) -> int:
    """Active entries whose last day has passed (in their professional's time zone) end as
    expired; returns how many. For one professional, or all with ``psychologist_id=None``."""
    entries = WaitlistEntry.objects.filter(status=WaitlistStatus.ACTIVE)
    if psychologist_id is not None:
        entries = entries.filter(psychologist_id=psychologist_id)
    # Every zone is at most a day from UTC: only entries ending around today need a zone.
    now = timezone.now()
    candidates = entries.filter(date_to__lt=now.date() + dt.timedelta(days=1)).select_related(
        "psychologist__professional_profile"
    )
    passed = [
        entry.pk
        for entry in candidates
        if entry.date_to
        < now.astimezone(selectors.professional_time_zone(entry.psychologist)).date()
    ]
    return WaitlistEntry.objects.filter(pk__in=passed).update(
        status=WaitlistStatus.EXPIRED, ended_at=now
    )


def waitlist_offer_freed_time(
    *, appointment: Appointment, start: dt.datetime
) -> WaitlistOffer | None:
    """The time starting at ``start`` of ``appointment``'s professional was freed (the
    appointment was cancelled or moved away): hold it for the first in line who wants it.

    Called by the outbox relay for ``appointment.cancelled`` and ``appointment.rescheduled``.
    Nothing happens unless the time is still a free, bookable slot (not past, not blocked,
    within the rules) that is not held already. The first active entry by creation time
    whose dates and times contain the slot, whose patient is free then and has no other live
    hold, who did not give the time up and was not offered it already (for this freeing),
    gets a :class:`WaitlistOffer` until
    ``WAITLIST_HOLD_MINUTES`` from now (not past the slot's start) and a ``waitlist.offered``
    event in the outbox.
    """
    with transaction.atomic():
        _lock_users(appointment.psychologist_id)
        return _waitlist_offer_next(
            psychologist_id=appointment.psychologist_id, start=start, freed_by=appointment
        )


def _waitlist_offer_next(
    *, psychologist_id: int, start: dt.datetime, freed_by: Appointment
) -> WaitlistOffer | None:
    now = timezone.now()
    if start <= now:
        return None
    waitlist_entries_end_passed(psychologist_id=psychologist_id)
    try:
        professional = selectors.professional_get(psychologist_id=psychologist_id)
    except get_user_model().DoesNotExist:
        return None
    day = start.astimezone(selectors.professional_time_zone(professional)).date()
    calendar = selectors.professional_calendar(
        psychologist=psychologist_id, start_date=day, end_date=day
    )
    slots = selectors.calendar_slots(calendar, start_date=day, end_date=day, now=now)[day]
    slot = next((slot for slot in slots if slot.start == start), None)
    if slot is None or slot.local_end.date() != day:
        return None
    if selectors.waitlist_holds_overlapping(
        psychologist_id=psychologist_id, start=slot.start, end=slot.end, now=now
    ).exists():
        return None
    for entry in selectors.waitlist_line_for(
        psychologist_id=psychologist_id,
        day=day,
        start=slot.start,
        freed_by_id=freed_by.pk,
        now=now,
    ).exclude(patient_id=freed_by.patient_id):
        if not _waitlist_times_contain(entry.times, slot.start_time, slot.end_time):
            continue
        if (
            Appointment.objects.active()
            .filter(patient_id=entry.patient_id, start__lt=slot.end, end__gt=slot.start)
            .exists()
        ):
            continue
        hold = dt.timedelta(minutes=scheduling_settings.WAITLIST_HOLD_MINUTES)
        offer = WaitlistOffer.objects.create(
            entry=entry,
            psychologist_id=psychologist_id,
            freed_by=freed_by,
            start=slot.start,
            end=slot.end,
            expires_at=min(now + hold, slot.start),
        )
        _record_waitlist_offered(offer, patient_id=entry.patient_id)
        _waitlist_expiry_plan(offer)
        return offer
    return None


def _record_waitlist_offered(offer: WaitlistOffer, *, patient_id: int) -> AppointmentEvent:
    """The ``waitlist.offered`` outbox row, on the appointment that freed the time (its row
    is locked first: the sequence counts its events)."""
    from .tasks import relay_appointment_events_soon

    appointment = Appointment.objects.select_for_update().get(pk=offer.freed_by_id)
    record = AppointmentEvent.objects.create(
        appointment=appointment,
        name=WAITLIST_OFFERED,
        sequence=AppointmentEvent.objects.filter(appointment=appointment).count(),
        actor=None,
        payload=_event_payload(
            start=offer.start,
            end=offer.end,
            expires_at=offer.expires_at,
            offer_id=offer.pk,
            waitlist_entry_id=offer.entry_id,
            patient_id=patient_id,
            psychologist_id=offer.psychologist_id,
        ),
    )
    transaction.on_commit(relay_appointment_events_soon)
    return record


def _waitlist_expiry_plan(offer: WaitlistOffer) -> None:
    """Enqueue the offer's expiry at ``expires_at``. A backend that cannot defer (the
    immediate one) would expire it at once: then ``waitlist_sweep`` expires it instead."""
    from .tasks import expire_waitlist_offer

    if not expire_waitlist_offer.get_backend().supports_defer:
        return
    expire_waitlist_offer.using(run_after=offer.expires_at).enqueue(offer_id=offer.pk)


def waitlist_offer_expire(*, offer_id: int) -> WaitlistOffer | None:
    """A hold whose time is up and was not booked expires, and the same slot is offered to
    the next in line (never again to an entry that had it). Anything else (booked, released,
    not yet due) is left alone. Returns the next offer, if any."""
    found = WaitlistOffer.objects.filter(pk=offer_id).values_list("psychologist_id", flat=True)
    psychologist_id = found.first()
    if psychologist_id is None:
        return None
    with transaction.atomic():
        # The professional's row first, then the offer: the booking's order, so the two queue.
        _lock_users(psychologist_id)
        offer = (
            WaitlistOffer.objects.select_for_update(of=("self",))
            .select_related("freed_by")
            .get(pk=offer_id)
        )
        if offer.status != WaitlistOfferStatus.HELD or offer.expires_at > timezone.now():
            return None
        offer.status = WaitlistOfferStatus.EXPIRED
        offer.save(update_fields=["status"])
        return _waitlist_offer_next(
            psychologist_id=offer.psychologist_id, start=offer.start, freed_by=offer.freed_by
        )


def waitlist_sweep() -> dict[str, int]:
    """Expires every hold whose time is up (offering each slot to the next in line) and ends
    every entry whose window has passed. For a periodic command; the deferred tasks do the
    same one offer at a time."""
    due = list(
        WaitlistOffer.objects.filter(
            status=WaitlistOfferStatus.HELD, expires_at__lte=timezone.now()
        ).values_list("pk", flat=True)
    )
    offered = sum(waitlist_offer_expire(offer_id=pk) is not None for pk in due)
    ended = waitlist_entries_end_passed()
    return {"expired_offers": len(due), "new_offers": offered, "ended_entries": ended}
