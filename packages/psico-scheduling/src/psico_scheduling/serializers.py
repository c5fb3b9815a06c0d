"""Separate read, create, update and public serializers; business rules stay in services."""

from __future__ import annotations

from collections.abc import Mapping

from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from psico_accounts.models import UserType
from psico_accounts.serializers import ProfessionalPublicSerializer
from psico_core.payloads import DatabaseIdField, DatabaseIdRelatedField, InputSerializer
from psico_core.query import TEXT_PARAMETER_MAX_LENGTH, QueryParametersSerializer
from rest_framework import serializers

from .fields import HourMinuteField, MonthField, SchedulingDateField
from .models import (
    Appointment,
    AppointmentSeries,
    BlockedDate,
    PaymentStatus,
    SeriesDateStatus,
    SeriesFrequency,
    SessionModality,
    WaitlistEntry,
    WaitlistOffer,
    WaitlistOfferStatus,
    Weekday,
    WeeklyAvailability,
)
from .selectors import professional_time_zone
from .services import SERIES_MAX_APPOINTMENTS, WAITLIST_TIMES_MAX

# -- weekly availability -------------------------------------------------------------------


class AvailabilityRuleSerializer(serializers.ModelSerializer):
    """A weekly range of working hours, in the professional's time zone."""

    start_time = HourMinuteField(read_only=True)
    end_time = HourMinuteField(read_only=True)

    class Meta:
        model = WeeklyAvailability
        fields = ["id", "psychologist", "day_of_week", "start_time", "end_time", "is_active"]
        read_only_fields = fields


class AvailabilityQuerySerializer(QueryParametersSerializer):
    psychologist = DatabaseIdField()


class AvailabilityRuleCreateSerializer(InputSerializer):
    day_of_week = serializers.ChoiceField(choices=Weekday.choices)
    start_time = HourMinuteField()
    end_time = HourMinuteField()
    is_active = serializers.BooleanField(default=True)


class AvailabilityRuleUpdateSerializer(InputSerializer):
    day_of_week = serializers.ChoiceField(choices=Weekday.choices, required=False)
    start_time = HourMinuteField(required=False)
    end_time = HourMinuteField(required=False)
    is_active = serializers.BooleanField(required=False)


# -- blocked dates -------------------------------------------------------------------------


class BlockedDateSerializer(serializers.ModelSerializer):
    """A blocked day (no times) or a blocked range inside a day."""

    start_time = HourMinuteField(read_only=True, allow_null=True)
    end_time = HourMinuteField(read_only=True, allow_null=True)

    class Meta:
        model = BlockedDate
        fields = ["id", "psychologist", "date", "start_time", "end_time", "reason", "created_at"]
        read_only_fields = fields


class BlockedDateCreateSerializer(InputSerializer):
    date = SchedulingDateField()
    start_time = HourMinuteField(required=False, allow_null=True)
    end_time = HourMinuteField(required=False, allow_null=True)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=255, default="")


# -- slots and search ----------------------------------------------------------------------


class SlotSerializer(serializers.Serializer):
    """A free slot: local ``start_time``/``end_time`` plus the exact instants with offset."""

    start_time = HourMinuteField(read_only=True)
    end_time = HourMinuteField(read_only=True)
    start = serializers.SerializerMethodField()
    end = serializers.SerializerMethodField()

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_start(self, slot) -> str:
        return slot.local_start.isoformat()

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_end(self, slot) -> str:
        return slot.local_end.isoformat()


class AvailableSlotsQuerySerializer(QueryParametersSerializer):
    psychologist = DatabaseIdField()
    date = SchedulingDateField()


class AvailableSlotsSerializer(serializers.Serializer):
    psychologist = serializers.IntegerField()
    date = serializers.DateField()
    session_duration = serializers.IntegerField(help_text=_("Minutes."))
    time_zone = serializers.CharField()
    slots = SlotSerializer(many=True)


class SearchPsychologistsQuerySerializer(QueryParametersSerializer):
    date = SchedulingDateField()
    specialization = serializers.CharField(
        required=False,
        max_length=TEXT_PARAMETER_MAX_LENGTH,
        help_text=_("Specialization id or slug."),
    )
    city = serializers.CharField(required=False, max_length=TEXT_PARAMETER_MAX_LENGTH)


class PsychologistSearchResultSerializer(ProfessionalPublicSerializer):
    """The public directory fields of a professional and the free slots of the searched date."""

    available_slots = SlotSerializer(many=True, read_only=True)

    class Meta(ProfessionalPublicSerializer.Meta):
        fields = [*ProfessionalPublicSerializer.Meta.fields, "available_slots"]
        read_only_fields = fields


# -- appointments --------------------------------------------------------------------------


class AppointmentParticipantSerializer(serializers.ModelSerializer):
    """Minimal public information about a participant."""

    class Meta:
        model = get_user_model()
        fields = ["id", "first_name", "last_name"]
        read_only_fields = fields


class PatientContactSerializer(serializers.Serializer):
    """How the professional reaches the patient of one of their appointments."""

    email = serializers.EmailField(read_only=True)
    phone = serializers.CharField(read_only=True, help_text=_("Empty when unknown."))


def may_see_patient_contact(*, viewer, appointment) -> bool:
    """The appointment's professional sees its patient's contact details, and so does the
    clinic's front desk (admins, who already manage every user); the patient, other
    professionals and anonymous visitors never get them in an appointment."""
    if viewer is None or not getattr(viewer, "is_authenticated", False):
        return False
    return viewer.pk == appointment.psychologist_id or bool(
        getattr(viewer, "is_clinic_admin", False)
    )


# Where the session happens and its payment: only the participants and clinic admins ever get
# an AppointmentSerializer, so these never reach a public listing.
SESSION_DETAIL_FIELDS = ("modality", "location", "meeting_url", "payment_status", "fee")

# Formats the local start and end the way every other time of the API is written.
_HOUR_MINUTE = HourMinuteField()


class AppointmentSerializer(serializers.ModelSerializer):
    """An appointment; dates and times are local to the professional's time zone."""

    patient = AppointmentParticipantSerializer(read_only=True)
    psychologist = AppointmentParticipantSerializer(read_only=True)
    appointment_date = serializers.SerializerMethodField()
    start_time = serializers.SerializerMethodField()
    end_time = serializers.SerializerMethodField()
    start = serializers.SerializerMethodField()
    end = serializers.SerializerMethodField()
    time_zone = serializers.SerializerMethodField()
    patient_contact = serializers.SerializerMethodField(
        help_text=_(
            "The patient's email and phone; present only for the appointment's professional"
            " and clinic admins."
        )
    )

    # Read-only fields the representation leaves out for some viewers: not required in the
    # schema (see AppointmentSerializerSchema).
    optional_fields = ("patient_contact",)

    series: serializers.PrimaryKeyRelatedField = serializers.PrimaryKeyRelatedField(
        read_only=True,
        allow_null=True,
        help_text=_("The recurring series that booked this appointment; null for a single one."),
    )

    # Not a "uri" in the schema: it is empty until an online session gets its link.
    meeting_url = serializers.CharField(
        read_only=True, help_text=_("The https link of an online session; empty otherwise.")
    )

    class Meta:
        model = Appointment
        fields = [
            "id",
            "patient",
            "psychologist",
            "appointment_date",
            "start_time",
            "end_time",
            "start",
            "end",
            "time_zone",
            "status",
            "reason",
            "cancellation_reason",
            "cancelled_by",
            "cancelled_at",
            "is_late_cancellation",
            *SESSION_DETAIL_FIELDS,
            "series",
            "created_at",
            "updated_at",
            "patient_contact",
        ]
        read_only_fields = fields

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if data.get("patient_contact") is None:
            data.pop("patient_contact", None)
        return data

    @extend_schema_field(PatientContactSerializer)
    def get_patient_contact(self, appointment) -> dict | None:
        request = self.context.get("request")
        viewer = getattr(request, "user", None)
        if not may_see_patient_contact(viewer=viewer, appointment=appointment):
            return None
        patient = appointment.patient
        return {"email": patient.email, "phone": patient.phone}

    def _zone(self, appointment):
        return professional_time_zone(appointment.psychologist)

    @extend_schema_field(OpenApiTypes.DATE)
    def get_appointment_date(self, appointment) -> str:
        return appointment.start.astimezone(self._zone(appointment)).date().isoformat()

    @extend_schema_field(HourMinuteField)
    def get_start_time(self, appointment) -> str:
        return _HOUR_MINUTE.to_representation(
            appointment.start.astimezone(self._zone(appointment)).time()
        )

    @extend_schema_field(HourMinuteField)
    def get_end_time(self, appointment) -> str:
        return _HOUR_MINUTE.to_representation(
            appointment.end.astimezone(self._zone(appointment)).time()
        )

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_start(self, appointment) -> str:
        return appointment.start.astimezone(self._zone(appointment)).isoformat()

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_end(self, appointment) -> str:
        return appointment.end.astimezone(self._zone(appointment)).isoformat()

    @extend_schema_field({"type": "string", "example": "America/La_Paz"})
    def get_time_zone(self, appointment) -> str:
        return str(self._zone(appointment))


class AppointmentSerializerSchema(OpenApiSerializerExtension):
    """Documents an appointment's ``optional_fields`` as optional: DRF read-only fields are
    otherwise listed as always present."""

    target_class = AppointmentSerializer
    match_subclasses = True

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_basic_serializer(self.target, direction)
        optional = set(getattr(self.target, "optional_fields", ()))
        if "required" in schema:
            schema["required"] = [name for name in schema["required"] if name not in optional]
        return schema


ONLY_ADMINS_NAME_A_PATIENT = _(
    "Only clinic administrators can book for a patient; leave this field out to book for yourself."
)
PATIENT_REQUIRED = _("Name the patient this appointment is for.")
NOT_A_PATIENT_ACCOUNT = _("Choose an active patient's account.")


def front_desk_patient_field() -> DatabaseIdRelatedField:
    """The ``patient`` of a booking body: the front desk's, refused from anyone else."""
    return DatabaseIdRelatedField(
        queryset=get_user_model().objects.filter(user_type=UserType.PATIENT, is_active=True),
        required=False,
        error_messages={"does_not_exist": NOT_A_PATIENT_ACCOUNT},
        help_text=_(
            "Clinic administrators only (the front desk): the patient booked for; required"
            " for them. Anyone else sending it gets a 400."
        ),
    )


class FrontDeskBookingSerializer(InputSerializer):
    """A booking body: a patient books for themselves; a clinic admin (the front desk) names
    the ``patient``, which anyone else is refused."""

    def _books_for_others(self) -> bool:
        request = self.context.get("request")
        return bool(getattr(getattr(request, "user", None), "is_clinic_admin", False))

    def to_internal_value(self, data):
        # Whatever its value (own id, someone else's, junk), a patient or a professional
        # naming a patient is refused on that field, as the registration refuses a role.
        refused = isinstance(data, Mapping) and "patient" in data and not self._books_for_others()
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            if not refused:
                raise
            detail = exc.detail if isinstance(exc.detail, Mapping) else {}
            raise serializers.ValidationError(
                {**detail, "patient": [ONLY_ADMINS_NAME_A_PATIENT]}
            ) from exc
        if refused:
            raise serializers.ValidationError({"patient": [ONLY_ADMINS_NAME_A_PATIENT]})
        return value

    def validate(self, attrs):
        if self._books_for_others() and "patient" not in attrs:
            raise serializers.ValidationError({"patient": [PATIENT_REQUIRED]}, code="required")
        return attrs


class AppointmentCreateSerializer(FrontDeskBookingSerializer):
    psychologist = DatabaseIdRelatedField(queryset=get_user_model().objects.all())
    appointment_date = SchedulingDateField()
    start_time = HourMinuteField()
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")
    patient = front_desk_patient_field()


# Fields a client may try to send in a PATCH but that only the lifecycle actions change.
NOT_EDITABLE = (
    "patient",
    "psychologist",
    "status",
    "cancellation_reason",
    "cancelled_by",
    "cancelled_at",
    "is_late_cancellation",
)


class AppointmentUpdateSerializer(InputSerializer):
    """Reschedule (``appointment_date``/``start_time``) and/or change ``reason``."""

    appointment_date = SchedulingDateField(required=False)
    start_time = HourMinuteField(required=False)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000)

    def validate(self, attrs):
        sent = set(getattr(self, "initial_data", {}) or {})
        refused = {
            name: [_("This field cannot be changed here; use the appointment's actions.")]
            for name in NOT_EDITABLE
            if name in sent
        }
        if refused:
            raise serializers.ValidationError(refused)
        return attrs


class AppointmentCancelSerializer(InputSerializer):
    # Blank passes here so that the service answers with its own, clearer message.
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


FEE_IS_READ_ONLY = _(
    "The fee is copied from the professional's consultation fee at booking; it cannot be changed."
)


class AppointmentSessionDetailsSerializer(InputSerializer):
    """What the appointment's professional (or a clinic admin) sets in a PATCH; the service
    refuses them from the patient."""

    modality = serializers.ChoiceField(choices=SessionModality.choices, required=False)
    location = serializers.CharField(
        required=False, allow_blank=True, max_length=255, trim_whitespace=True
    )
    meeting_url = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=500,
        help_text=_("https only; for online sessions."),
    )
    payment_status = serializers.ChoiceField(choices=PaymentStatus.choices, required=False)

    def validate(self, attrs):
        if "fee" in (getattr(self, "initial_data", {}) or {}):
            raise serializers.ValidationError({"fee": [FEE_IS_READ_ONLY]})
        return attrs


# -- monthly summary -----------------------------------------------------------------------


class AppointmentSummaryQuerySerializer(QueryParametersSerializer):
    month = MonthField(help_text=_("The month, as YYYY-MM."))
    psychologist = DatabaseIdField(
        required=False,
        help_text=_(
            "Clinic admins only: one professional's summary; without it, the whole clinic's."
        ),
    )


class SessionCountsSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    pending = serializers.IntegerField()
    confirmed = serializers.IntegerField()
    cancelled = serializers.IntegerField()
    completed = serializers.IntegerField()
    no_show = serializers.IntegerField()


class FeeSumsSerializer(serializers.Serializer):
    unpaid = serializers.DecimalField(max_digits=14, decimal_places=2)
    paid = serializers.DecimalField(max_digits=14, decimal_places=2)
    waived = serializers.DecimalField(max_digits=14, decimal_places=2)


class AppointmentSummarySerializer(serializers.Serializer):
    """A month of appointments: how many by status, and their fees by payment status."""

    month = serializers.CharField(help_text=_("YYYY-MM."))
    psychologist = serializers.IntegerField(
        allow_null=True, help_text=_("The professional; null for the whole clinic.")
    )
    sessions = SessionCountsSerializer()
    fees = FeeSumsSerializer(
        help_text=_(
            "Sums of the appointments' fees as decimal strings; cancelled appointments still"
            " unpaid are left out."
        )
    )


# Named as the PATCH body always was, so that generated clients keep their type name.
@extend_schema_serializer(component_name="AppointmentUpdate")
class AppointmentPatchSerializer(AppointmentUpdateSerializer, AppointmentSessionDetailsSerializer):
    """Reschedule (``appointment_date``/``start_time``), change ``reason`` (the patient), and/or
    set the session details (the professional)."""


# -- recurring series ----------------------------------------------------------------------

SERIES_COUNT_OR_UNTIL = _("Give either count or until, not both.")


class AppointmentSeriesCreateSerializer(FrontDeskBookingSerializer):
    psychologist = DatabaseIdRelatedField(queryset=get_user_model().objects.all())
    start_date = SchedulingDateField(help_text=_("The first date, local to the professional."))
    start_time = HourMinuteField()
    frequency = serializers.ChoiceField(choices=SeriesFrequency.choices)
    count = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=SERIES_MAX_APPOINTMENTS,
        help_text=_("How many appointments; or give until instead."),
    )
    until = SchedulingDateField(
        required=False,
        help_text=_("The last possible date (inclusive); or give count instead."),
    )
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")
    all_or_nothing = serializers.BooleanField(
        default=False,
        help_text=_(
            "Book none of the dates (400 listing the conflicts) if any date within the"
            " booking horizon cannot be booked."
        ),
    )
    patient = front_desk_patient_field()

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if ("count" in attrs) == ("until" in attrs):
            raise serializers.ValidationError(
                {"count": [SERIES_COUNT_OR_UNTIL], "until": [SERIES_COUNT_OR_UNTIL]}
            )
        return attrs


class AppointmentSeriesCancelSerializer(InputSerializer):
    from_date = SchedulingDateField(
        required=False,
        help_text=_("Cancel the appointments on this local date and after; default: today."),
    )
    # Blank passes here so that the service answers with its own, clearer message.
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class SeriesSkippedDateSerializer(serializers.Serializer):
    date = serializers.DateField(read_only=True)
    reason = serializers.CharField(
        read_only=True, help_text=_("The booking rule that refused the date.")
    )


class AppointmentSeriesSerializer(serializers.ModelSerializer):
    """A recurring series: its appointments (each also cancellable and reschedulable alone),
    the dates skipped with their reason, and the dates waiting for the booking horizon."""

    patient = AppointmentParticipantSerializer(read_only=True)
    psychologist = AppointmentParticipantSerializer(read_only=True)
    start_time = HourMinuteField(read_only=True)
    time_zone = serializers.SerializerMethodField()
    appointments = AppointmentSerializer(many=True, read_only=True)
    skipped = serializers.SerializerMethodField()
    pending_dates = serializers.SerializerMethodField()

    class Meta:
        model = AppointmentSeries
        fields = [
            "id",
            "patient",
            "psychologist",
            "start_date",
            "start_time",
            "time_zone",
            "frequency",
            "count",
            "until",
            "reason",
            "appointments",
            "skipped",
            "pending_dates",
            "cancelled_from",
            "cancellation_reason",
            "cancelled_at",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field({"type": "string", "example": "America/La_Paz"})
    def get_time_zone(self, series) -> str:
        return str(professional_time_zone(series.psychologist))

    def _dates(self, series, status):
        return [date for date in series.dates.all() if date.status == status]

    @extend_schema_field(SeriesSkippedDateSerializer(many=True))
    def get_skipped(self, series) -> list[dict]:
        skipped = self._dates(series, SeriesDateStatus.SKIPPED)
        return [{"date": date.date.isoformat(), "reason": date.reason} for date in skipped]

    @extend_schema_field(
        {
            "type": "array",
            "items": {"type": "string", "format": "date"},
            "description": "Dates beyond the booking horizon, booked by the clinic's worker"
            " when the horizon reaches them.",
        }
    )
    def get_pending_dates(self, series) -> list[str]:
        return [date.date.isoformat() for date in self._dates(series, SeriesDateStatus.PENDING)]


# -- waiting list --------------------------------------------------------------------------


class WaitlistTimeRangeSerializer(InputSerializer):
    """A range of local times of day, ``HH:MM`` to ``HH:MM``."""

    start = HourMinuteField()
    end = HourMinuteField()


class WaitlistEntryCreateSerializer(InputSerializer):
    """Join a professional's waiting list for a window of local dates (and times of day)."""

    psychologist = DatabaseIdField()
    date_from = SchedulingDateField(help_text=_("First local date (the professional's)."))
    date_to = SchedulingDateField(help_text=_("Last local date; at most MAX_DAYS_AHEAD ahead."))
    times = serializers.ListField(
        child=WaitlistTimeRangeSerializer(),
        required=False,
        max_length=WAITLIST_TIMES_MAX,
        help_text=_("Only times within one of these local ranges; none: any time of day."),
    )


class WaitlistOfferSerializer(serializers.ModelSerializer):
    """The time held for the patient: only they can book it until ``expires_at``."""

    appointment_date = serializers.SerializerMethodField()
    start_time = serializers.SerializerMethodField()
    start = serializers.SerializerMethodField()
    end = serializers.SerializerMethodField()

    class Meta:
        model = WaitlistOffer
        fields = ["appointment_date", "start_time", "start", "end", "expires_at"]
        read_only_fields = fields

    def _local(self, moment):
        return moment.astimezone(professional_time_zone(self.context["psychologist"]))

    @extend_schema_field(OpenApiTypes.DATE)
    def get_appointment_date(self, offer) -> str:
        return self._local(offer.start).date().isoformat()

    @extend_schema_field(HourMinuteField)
    def get_start_time(self, offer) -> str:
        return _HOUR_MINUTE.to_representation(self._local(offer.start).time())

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_start(self, offer) -> str:
        return self._local(offer.start).isoformat()

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_end(self, offer) -> str:
        return self._local(offer.end).isoformat()


class WaitlistTimeRangeReadSerializer(serializers.Serializer):
    start = serializers.CharField(read_only=True)
    end = serializers.CharField(read_only=True)


class WaitlistEntrySerializer(serializers.ModelSerializer):
    """A patient's place on a professional's waiting list, with the time held for them."""

    psychologist = AppointmentParticipantSerializer(read_only=True)
    times = WaitlistTimeRangeReadSerializer(many=True, read_only=True)
    offer = serializers.SerializerMethodField(
        help_text=_("The time held for you now (book it before expires_at); null otherwise.")
    )

    class Meta:
        model = WaitlistEntry
        fields = [
            "id",
            "psychologist",
            "date_from",
            "date_to",
            "times",
            "status",
            "created_at",
            "ended_at",
            "offer",
        ]
        read_only_fields = fields

    @extend_schema_field(WaitlistOfferSerializer(allow_null=True))
    def get_offer(self, entry) -> dict | None:
        offers = getattr(entry, "live_offers", None)
        if offers is None:
            offers = list(
                entry.offers.filter(
                    status=WaitlistOfferStatus.HELD, expires_at__gt=timezone.now()
                ).order_by("start")
            )
        if not offers:
            return None
        return WaitlistOfferSerializer(offers[0], context={"psychologist": entry.psychologist}).data
