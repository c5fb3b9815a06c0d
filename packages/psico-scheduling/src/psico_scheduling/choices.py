"""The appointment statuses and lifecycle event names, importable without the app registry
(other packages' settings defaults name them); ``psico_scheduling.models`` re-exports them."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AppointmentStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    CONFIRMED = "confirmed", _("Confirmed")
    CANCELLED = "cancelled", _("Cancelled")
    COMPLETED = "completed", _("Completed")
    NO_SHOW = "no_show", _("No show")


class AppointmentEventName(models.TextChoices):
    """What happened to an appointment: the names of the lifecycle events everywhere (the
    outbox, the signals, the API)."""

    BOOKED = "appointment.booked", _("Booked")
    CONFIRMED = "appointment.confirmed", _("Confirmed")
    CANCELLED = "appointment.cancelled", _("Cancelled")
    RESCHEDULED = "appointment.rescheduled", _("Rescheduled")
    COMPLETED = "appointment.completed", _("Completed")
    NO_SHOW = "appointment.no_show", _("No show")
    # Not a change of the appointment: the time it freed is offered to the waiting list.
    WAITLIST_OFFERED = "waitlist.offered", _("Offered to the waiting list")


class PaymentStatus(models.TextChoices):
    """Whether an appointment's fee was paid; set by its professional or a clinic admin."""

    UNPAID = "unpaid", _("Unpaid")
    PAID = "paid", _("Paid")
    WAIVED = "waived", _("Waived")


class SeriesFrequency(models.TextChoices):
    """How far apart the appointments of a recurring series are."""

    WEEKLY = "weekly", _("Weekly")
    BIWEEKLY = "biweekly", _("Every two weeks")


class SeriesDateStatus(models.TextChoices):
    """What became of one planned date of a series."""

    PENDING = "pending", _("Waiting for the booking horizon")
    BOOKED = "booked", _("Booked")
    SKIPPED = "skipped", _("Skipped")
    CANCELLED = "cancelled", _("Cancelled")


class WaitlistStatus(models.TextChoices):
    """Where a patient's place on a professional's waiting list stands."""

    ACTIVE = "active", _("Waiting")
    BOOKED = "booked", _("Booked")
    EXPIRED = "expired", _("Expired")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class WaitlistOfferStatus(models.TextChoices):
    """A freed time held for one waiting patient."""

    HELD = "held", _("Held")
    BOOKED = "booked", _("Booked")
    EXPIRED = "expired", _("Expired")
    RELEASED = "released", _("Released")
