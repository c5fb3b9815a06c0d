from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from psico_accounts.models import SessionModality

from .choices import (
    AppointmentEventName,
    AppointmentStatus,
    PaymentStatus,
    SeriesDateStatus,
    SeriesFrequency,
    WaitlistOfferStatus,
    WaitlistStatus,
)
from .validators import validate_date_in_window, validate_meeting_url, validate_whole_minutes

__all__ = [
    "Appointment",
    "AppointmentEvent",
    "AppointmentEventName",
    "AppointmentSeries",
    "AppointmentStatus",
    "BlockedDate",
    "PaymentStatus",
    "SeriesDate",
    "SeriesDateStatus",
    "SeriesFrequency",
    "SessionModality",
    "WaitlistEntry",
    "WaitlistOffer",
    "WaitlistOfferStatus",
    "WaitlistStatus",
    "WeeklyAvailability",
    "Weekday",
]


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class WeeklyAvailability(models.Model):
    """One range of working hours on one weekday, in the professional's time zone."""

    psychologist = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="availability_rules",
        verbose_name=_("psychologist"),
    )
    day_of_week = models.PositiveSmallIntegerField(_("day of week"), choices=Weekday.choices)
    start_time = models.TimeField(_("start time"), validators=[validate_whole_minutes])
    end_time = models.TimeField(_("end time"), validators=[validate_whole_minutes])
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["psychologist_id", "day_of_week", "start_time"]
        verbose_name = _("weekly availability")
        verbose_name_plural = _("weekly availability")
        indexes = [models.Index(fields=["psychologist", "day_of_week"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(start_time__lt=models.F("end_time")),
                name="psico_scheduling_availability_start_before_end",
            ),
            models.CheckConstraint(
                condition=Q(day_of_week__gte=0, day_of_week__lte=6),
                name="psico_scheduling_availability_valid_weekday",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_day_of_week_display()} {self.start_time:%H:%M}–{self.end_time:%H:%M}"


class BlockedDate(models.Model):
    """A day, or a time range inside a day, on which a professional takes no bookings."""

    psychologist = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="blocked_dates",
        verbose_name=_("psychologist"),
    )
    date = models.DateField(_("date"), validators=[validate_date_in_window])
    start_time = models.TimeField(
        _("start time"), null=True, blank=True, validators=[validate_whole_minutes]
    )
    end_time = models.TimeField(
        _("end time"), null=True, blank=True, validators=[validate_whole_minutes]
    )
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["psychologist_id", "date", "start_time"]
        verbose_name = _("blocked date")
        verbose_name_plural = _("blocked dates")
        indexes = [models.Index(fields=["psychologist", "date"])]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(start_time__isnull=True, end_time__isnull=True)
                    | Q(
                        start_time__isnull=False,
                        end_time__isnull=False,
                        start_time__lt=models.F("end_time"),
                    )
                ),
                name="psico_scheduling_blocked_range_complete",
            ),
        ]

    def __str__(self) -> str:
        if self.start_time is None:
            return f"{self.date:%Y-%m-%d}"
        return f"{self.date:%Y-%m-%d} {self.start_time:%H:%M}–{self.end_time:%H:%M}"


class AppointmentQuerySet(models.QuerySet):
    def active(self):
        """Appointments that hold their time: every status but cancelled."""
        return self.exclude(status=AppointmentStatus.CANCELLED)

    def with_participant(self, user):
        """Appointments in which ``user`` is the patient or the professional."""
        return self.filter(Q(patient=user) | Q(psychologist=user))

    def for_user(self, user):
        """What ``user`` may see: their own as patient or professional; admins see all."""
        if getattr(user, "is_clinic_admin", False):
            return self
        return self.with_participant(user)


class Appointment(models.Model):
    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="appointments_as_patient",
        verbose_name=_("patient"),
    )
    psychologist = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="appointments_as_psychologist",
        verbose_name=_("psychologist"),
    )
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=AppointmentStatus.choices,
        default=AppointmentStatus.PENDING,
        db_index=True,
    )
    reason = models.TextField(_("reason"), blank=True, max_length=2000)
    cancellation_reason = models.TextField(_("cancellation reason"), blank=True, max_length=2000)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("cancelled by"),
    )
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    is_late_cancellation = models.BooleanField(_("late cancellation"), default=False)
    # Session details: where the session happens and whether it was paid. Only the two
    # participants (and clinic admins) ever see them; the professional sets them. Database
    # defaults too, so that rows written by SQL outside Django stay valid.
    modality = models.CharField(
        _("modality"),
        max_length=16,
        choices=SessionModality.choices,
        default=SessionModality.IN_PERSON,
        db_default=SessionModality.IN_PERSON,
    )
    location = models.CharField(_("location"), max_length=255, blank=True, db_default="")
    meeting_url = models.URLField(
        _("meeting URL"),
        max_length=500,
        blank=True,
        db_default="",
        validators=[validate_meeting_url],
    )
    payment_status = models.CharField(
        _("payment status"),
        max_length=16,
        choices=PaymentStatus.choices,
        default=PaymentStatus.UNPAID,
        db_default=PaymentStatus.UNPAID,
        db_index=True,
    )
    # The professional's consultation fee when the appointment was booked: a later change of
    # the fee never rewrites what was agreed.
    fee = models.DecimalField(_("fee"), max_digits=10, decimal_places=2, null=True, blank=True)
    # The recurring series that booked it; it stays cancellable and reschedulable alone.
    series = models.ForeignKey(
        "AppointmentSeries",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="appointments",
        verbose_name=_("series"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = AppointmentQuerySet.as_manager()

    class Meta:
        ordering = ["start", "id"]
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        indexes = [
            models.Index(fields=["psychologist", "start"]),
            models.Index(fields=["patient", "start"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(start__lt=models.F("end")),
                name="psico_scheduling_appointment_start_before_end",
            ),
            models.UniqueConstraint(
                fields=["psychologist", "start"],
                condition=~Q(status=AppointmentStatus.CANCELLED),
                name="psico_scheduling_one_active_appointment_per_start",
            ),
        ]

    def __str__(self) -> str:
        # The wall-clock time the appointment was booked at, as both people read it.
        from .selectors import professional_time_zone

        local_start = self.start.astimezone(professional_time_zone(self.psychologist))
        return f"{self.patient} · {self.psychologist} · {local_start:%Y-%m-%d %H:%M %Z}"


class AppointmentEvent(models.Model):
    """One lifecycle change of an appointment, recorded in the transaction that made it.

    This is the outbox: a change that rolls back leaves no row, and a row committed with its
    change survives a process that dies right after. The relay
    (:func:`psico_scheduling.tasks.relay_appointment_events`) sends each undispatched row as
    :data:`~psico_scheduling.signals.appointment_event_recorded` and stamps ``dispatched_at``;
    when a receiver raises, the row keeps waiting (``relay_failures``, ``relay_error``) and is
    sent again later. ``sequence`` counts the appointment's changes from 0 (the booking): a
    calendar's SEQUENCE.
    """

    appointment = models.ForeignKey(
        Appointment,
        on_delete=models.CASCADE,
        related_name="events",
        verbose_name=_("appointment"),
    )
    name = models.CharField(_("event"), max_length=32, choices=AppointmentEventName.choices)
    sequence = models.PositiveIntegerField(_("sequence"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    payload = models.JSONField(_("details"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    dispatched_at = models.DateTimeField(_("dispatched at"), null=True, blank=True)
    # A receiver that raised leaves the event waiting: counted and kept for the admin.
    relay_failures = models.PositiveIntegerField(_("failed relays"), default=0)
    relay_error = models.TextField(_("last relay error"), blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("appointment event")
        verbose_name_plural = _("appointment events")
        indexes = [
            # The relay's query: what is still waiting, oldest first.
            models.Index(
                fields=["id"],
                condition=Q(dispatched_at__isnull=True),
                name="psico_scheduling_event_waiting",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["appointment", "sequence"], name="psico_scheduling_event_sequence_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} #{self.sequence} · {self.appointment_id}"


# -- recurring series ----------------------------------------------------------------------


class AppointmentSeriesQuerySet(models.QuerySet):
    def for_user(self, user):
        """What ``user`` may see: series in which they are the patient or the professional;
        admins see all."""
        if getattr(user, "is_clinic_admin", False):
            return self
        return self.filter(Q(patient=user) | Q(psychologist=user))


class AppointmentSeries(models.Model):
    """A patient's weekly or biweekly appointments with one professional at one local time.

    Each date is booked as a single appointment under the ordinary booking rules (its
    ``series`` points here); what became of every planned date is a :class:`SeriesDate`.
    Dates beyond the booking horizon wait as pending and are booked by a worker when the
    horizon reaches them.
    """

    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="appointment_series_as_patient",
        verbose_name=_("patient"),
    )
    psychologist = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="appointment_series_as_psychologist",
        verbose_name=_("psychologist"),
    )
    start_date = models.DateField(_("start date"))
    start_time = models.TimeField(_("start time"), validators=[validate_whole_minutes])
    frequency = models.CharField(_("frequency"), max_length=16, choices=SeriesFrequency.choices)
    count = models.PositiveSmallIntegerField(_("number of appointments"), null=True, blank=True)
    until = models.DateField(_("until"), null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True, max_length=2000)
    # Who asked for it: the patient, or the clinic's front desk for them. The worker books the
    # later dates on their behalf.
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("booked by"),
    )
    cancelled_from = models.DateField(_("cancelled from"), null=True, blank=True)
    cancellation_reason = models.TextField(_("cancellation reason"), blank=True, max_length=2000)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("cancelled by"),
    )
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = AppointmentSeriesQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("appointment series")
        verbose_name_plural = _("appointment series")
        indexes = [
            models.Index(fields=["patient", "start_date"]),
            models.Index(fields=["psychologist", "start_date"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(count__isnull=False, count__gte=1, until__isnull=True)
                    | Q(count__isnull=True, until__isnull=False)
                ),
                name="psico_scheduling_series_count_or_until",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.patient} · {self.psychologist} · {self.get_frequency_display()}"


class SeriesDate(models.Model):
    """One planned date of a series: pending (beyond the booking horizon), booked, skipped
    (a booking rule refused it: ``reason_message`` says which) or cancelled with the series.

    The refusal is kept as its untranslated message and parameters, so that each reader gets
    it in their own language.
    """

    series = models.ForeignKey(
        AppointmentSeries,
        on_delete=models.CASCADE,
        related_name="dates",
        verbose_name=_("series"),
    )
    date = models.DateField(_("date"))
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=SeriesDateStatus.choices,
        default=SeriesDateStatus.PENDING,
    )
    reason_message = models.TextField(_("reason skipped"), blank=True)
    reason_params = models.JSONField(_("reason parameters"), default=dict, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["series_id", "date"]
        verbose_name = _("series date")
        verbose_name_plural = _("series dates")
        indexes = [
            # The worker's query: pending dates, soonest first.
            models.Index(
                fields=["date"],
                condition=Q(status=SeriesDateStatus.PENDING),
                name="psico_sched_series_pending",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["series", "date"], name="psico_scheduling_series_date_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} · {self.get_status_display()}"

    @property
    def reason(self) -> str:
        """Why the date was skipped, in the active language; empty otherwise."""
        if not self.reason_message:
            return ""
        text = gettext(self.reason_message)
        return text % self.reason_params if self.reason_params else text


# -- waiting list ---------------------------------------------------------------------------


class WaitlistEntry(models.Model):
    """A patient waiting for a time with a professional: any free time between ``date_from``
    and ``date_to`` (the professional's local dates), optionally only within ``times``, a list
    of ``{"start": "HH:MM", "end": "HH:MM"}`` local ranges. First come, first offered."""

    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="waitlist_entries",
        verbose_name=_("patient"),
    )
    psychologist = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="waitlist_entries_as_psychologist",
        verbose_name=_("psychologist"),
    )
    date_from = models.DateField(_("from"))
    date_to = models.DateField(_("to"))
    times = models.JSONField(_("times of day"), default=list, blank=True)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=WaitlistStatus.choices,
        default=WaitlistStatus.ACTIVE,
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("waiting list entry")
        verbose_name_plural = _("waiting list entries")
        indexes = [
            # The offer's query: a professional's active entries, first in line first.
            models.Index(
                fields=["psychologist", "created_at", "id"],
                condition=Q(status=WaitlistStatus.ACTIVE),
                name="psico_scheduling_waitlist_line",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(date_from__lte=models.F("date_to")),
                name="psico_scheduling_waitlist_from_before_to",
            ),
            models.UniqueConstraint(
                fields=["patient", "psychologist"],
                condition=Q(status=WaitlistStatus.ACTIVE),
                name="psico_scheduling_one_active_waitlist_entry",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.patient} · {self.psychologist} · {self.date_from}–{self.date_to}"


class WaitlistOffer(models.Model):
    """A freed time held for the patient of ``entry`` until ``expires_at``: while it is
    ``held`` and unexpired only that patient may book it."""

    entry = models.ForeignKey(
        WaitlistEntry, on_delete=models.CASCADE, related_name="offers", verbose_name=_("entry")
    )
    # The entry's professional, kept here so that one held time per start is a constraint.
    psychologist = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("psychologist"),
    )
    # The appointment whose cancellation or move freed the time; its outbox carries the event.
    freed_by = models.ForeignKey(
        Appointment,
        on_delete=models.CASCADE,
        related_name="waitlist_offers",
        verbose_name=_("freed by"),
    )
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    expires_at = models.DateTimeField(_("held until"))
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=WaitlistOfferStatus.choices,
        default=WaitlistOfferStatus.HELD,
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("waiting list offer")
        verbose_name_plural = _("waiting list offers")
        indexes = [models.Index(fields=["psychologist", "start"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(start__lt=models.F("end")),
                name="psico_scheduling_waitlist_offer_start_before_end",
            ),
            models.UniqueConstraint(
                fields=["psychologist", "start"],
                condition=Q(status=WaitlistOfferStatus.HELD),
                name="psico_scheduling_one_hold_per_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.entry} · {self.start:%Y-%m-%d %H:%M} · {self.status}"
