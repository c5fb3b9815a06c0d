"""Writes: every scheduling rule lives here, once, for the API, the admin and the commands.

Business-rule refusals raise Django's ``ValidationError`` (the API answers 400); a role that
may never do something raises ``PermissionDenied`` (403).
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from psico_accounts.selectors import user_may_book

from . import selectors
from .conf import scheduling_settings
from .models import (
    Appointment,
    AppointmentEvent,
    AppointmentStatus,
    BlockedDate,
    PaymentStatus,
    SessionModality,
    WeeklyAvailability,
)
from .signals import (
    APPOINTMENT_BOOKED,
    APPOINTMENT_CANCELLED,
    APPOINTMENT_COMPLETED,
    APPOINTMENT_CONFIRMED,
    APPOINTMENT_NO_SHOW,
    APPOINTMENT_RESCHEDULED,
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


def appointment_book(
    *,
    patient,
    psychologist,
    date: dt.date,
    start_time: dt.time,
    reason: str = "",
    by=None,
) -> Appointment:
    """Books ``patient`` with ``psychologist`` at local ``date`` ``start_time`` (the
    professional's time zone), as a pending appointment.

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
            **appointment_details_at_booking(psychologist_id=psychologist_id),
        )
        _save_guarded(appointment)
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
