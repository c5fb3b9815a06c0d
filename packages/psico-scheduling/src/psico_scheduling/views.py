"""Thin views: parse input, call one service or selector, serialize the result."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
)
from psico_core.audit import AuditAction, audit_event
from psico_core.query import OrderingFilter
from psico_core.schema import SERVICE_REFUSAL
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response

from . import selectors, services
from .filters import AppointmentFilter
from .permissions import (
    IsPatientOrFrontDesk,
    IsProfessional,
    IsProfessionalOrClinicAdmin,
    IsWaitingPatient,
)
from .serializers import (
    AppointmentCancelSerializer,
    AppointmentCreateSerializer,
    AppointmentPatchSerializer,
    AppointmentSerializer,
    AppointmentSeriesCancelSerializer,
    AppointmentSeriesCreateSerializer,
    AppointmentSeriesSerializer,
    AppointmentSessionDetailsSerializer,
    AppointmentSummaryQuerySerializer,
    AppointmentSummarySerializer,
    AppointmentUpdateSerializer,
    AvailabilityQuerySerializer,
    AvailabilityRuleCreateSerializer,
    AvailabilityRuleSerializer,
    AvailabilityRuleUpdateSerializer,
    AvailableSlotsQuerySerializer,
    AvailableSlotsSerializer,
    BlockedDateCreateSerializer,
    BlockedDateSerializer,
    PsychologistSearchResultSerializer,
    SearchPsychologistsQuerySerializer,
    WaitlistEntryCreateSerializer,
    WaitlistEntrySerializer,
)

ONLY_ADMINS_CHOOSE_THE_PROFESSIONAL = _(
    "Leave this out: your summary is your own. Only clinic admins choose a professional."
)

PSYCHOLOGIST_PARAMETER = OpenApiParameter(
    "psychologist",
    OpenApiTypes.INT,
    description="A professional's user id: read that professional's active rules (public).",
)


def _bookable_professional_or_404(pk: int):
    try:
        return selectors.professional_get(psychologist_id=pk)
    except get_user_model().DoesNotExist:
        raise Http404 from None


# -- weekly availability -------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        operation_id="scheduling_availability_list",
        summary="Weekly availability rules",
        description=(
            "Professionals get their own rules (active and inactive). Anyone may read a"
            " professional's active rules with `?psychologist=<id>`. Not paginated."
        ),
        parameters=[PSYCHOLOGIST_PARAMETER],
        responses={
            200: AvailabilityRuleSerializer(many=True),
            403: SERVICE_REFUSAL,
            404: SERVICE_REFUSAL,
        },
    ),
    retrieve=extend_schema(
        operation_id="scheduling_availability_retrieve",
        summary="One of your weekly rules",
        responses={200: AvailabilityRuleSerializer},
    ),
    create=extend_schema(
        operation_id="scheduling_availability_create",
        summary="Add a weekly rule",
        description="Overlapping active rules on one day are refused (400).",
        request=AvailabilityRuleCreateSerializer,
        responses={201: AvailabilityRuleSerializer, 400: SERVICE_REFUSAL},
        examples=[
            OpenApiExample(
                "Monday mornings",
                value={"day_of_week": 0, "start_time": "08:00", "end_time": "12:00"},
                request_only=True,
            )
        ],
    ),
    partial_update=extend_schema(
        operation_id="scheduling_availability_partial_update",
        summary="Change one of your weekly rules",
        request=AvailabilityRuleUpdateSerializer,
        responses={200: AvailabilityRuleSerializer, 400: SERVICE_REFUSAL},
    ),
    destroy=extend_schema(
        operation_id="scheduling_availability_destroy",
        summary="Delete one of your weekly rules",
        description="Appointments already booked are kept.",
        responses={204: None},
    ),
)
class AvailabilityViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = AvailabilityRuleSerializer
    pagination_class = None
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    lookup_value_converter = "psico_id"

    def _is_public_read(self) -> bool:
        return self.action == "list" and "psychologist" in self.request.query_params

    def get_permissions(self):
        # The schema documents the list as open to anyone, which it is with ?psychologist;
        # its 401 and 403 answer the other use, a professional's own rules.
        documenting_the_list = self.action == "list" and getattr(self, "swagger_fake_view", False)
        if self._is_public_read() or documenting_the_list:
            return [AllowAny()]
        return [IsAuthenticated(), IsProfessional()]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return selectors.availability_rules_of(psychologist=None)
        if self._is_public_read():
            query = AvailabilityQuerySerializer(data=self.request.query_params)
            query.is_valid(raise_exception=True)
            psychologist = _bookable_professional_or_404(query.validated_data["psychologist"])
            return selectors.availability_rules_of(psychologist=psychologist, only_active=True)
        return selectors.availability_rules_of(psychologist=self.request.user)

    def create(self, request, *args, **kwargs):
        serializer = AvailabilityRuleCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        rule = services.availability_rule_create(
            psychologist=request.user, **serializer.validated_data
        )
        return Response(AvailabilityRuleSerializer(rule).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        rule = self.get_object()
        serializer = AvailabilityRuleUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        rule = services.availability_rule_update(rule=rule, **serializer.validated_data)
        return Response(AvailabilityRuleSerializer(rule).data)

    def destroy(self, request, *args, **kwargs):
        services.availability_rule_delete(rule=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


# -- blocked dates -------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        operation_id="scheduling_blocked_dates_list",
        summary="Your blocked dates",
        description="Not paginated.",
        responses={
            200: BlockedDateSerializer(many=True),
        },
    ),
    retrieve=extend_schema(
        operation_id="scheduling_blocked_dates_retrieve",
        summary="One of your blocked dates",
        responses={200: BlockedDateSerializer},
    ),
    create=extend_schema(
        operation_id="scheduling_blocked_dates_create",
        summary="Block a date, or a time range within it",
        request=BlockedDateCreateSerializer,
        responses={201: BlockedDateSerializer, 400: SERVICE_REFUSAL},
        examples=[
            OpenApiExample(
                "Whole day",
                value={"date": "2030-05-27", "reason": "Congreso"},
                request_only=True,
            ),
            OpenApiExample(
                "Afternoon only",
                value={
                    "date": "2030-05-28",
                    "start_time": "14:00",
                    "end_time": "18:00",
                    "reason": "Supervisión clínica",
                },
                request_only=True,
            ),
        ],
    ),
    destroy=extend_schema(
        operation_id="scheduling_blocked_dates_destroy",
        summary="Remove a blocked date",
        responses={204: None},
    ),
)
class BlockedDateViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = BlockedDateSerializer
    permission_classes = [IsAuthenticated, IsProfessional]
    pagination_class = None
    http_method_names = ["get", "post", "delete", "head", "options"]
    lookup_value_converter = "psico_id"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return selectors.blocked_dates_of(psychologist=None)
        return selectors.blocked_dates_of(psychologist=self.request.user)

    def create(self, request, *args, **kwargs):
        serializer = BlockedDateCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        blocked = services.blocked_date_create(
            psychologist=request.user, **serializer.validated_data
        )
        return Response(BlockedDateSerializer(blocked).data, status=status.HTTP_201_CREATED)

    def destroy(self, request, *args, **kwargs):
        services.blocked_date_delete(blocked_date=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


# -- slots and search ----------------------------------------------------------------------


class AvailableSlotsView(GenericAPIView):
    permission_classes = [AllowAny]
    serializer_class = AvailableSlotsSerializer
    pagination_class = None

    @extend_schema(
        operation_id="scheduling_available_slots",
        summary="Free slots of a professional on a date",
        description=(
            "Times are local to the professional's time zone (`time_zone`); `start`/`end`"
            " give the exact instants with their offset."
        ),
        parameters=[AvailableSlotsQuerySerializer],
        responses={200: AvailableSlotsSerializer, 404: SERVICE_REFUSAL},
        examples=[
            OpenApiExample(
                "Two free slots",
                value={
                    "psychologist": 7,
                    "date": "2030-05-27",
                    "session_duration": 60,
                    "time_zone": "America/La_Paz",
                    "slots": [
                        {
                            "start_time": "09:00",
                            "end_time": "10:00",
                            "start": "2030-05-27T09:00:00-04:00",
                            "end": "2030-05-27T10:00:00-04:00",
                        },
                        {
                            "start_time": "11:00",
                            "end_time": "12:00",
                            "start": "2030-05-27T11:00:00-04:00",
                            "end": "2030-05-27T12:00:00-04:00",
                        },
                    ],
                },
                response_only=True,
            )
        ],
    )
    def get(self, request, *args, **kwargs):
        query = AvailableSlotsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        date = query.validated_data["date"]
        try:
            calendar = selectors.professional_calendar(
                psychologist=query.validated_data["psychologist"],
                start_date=date,
                end_date=date,
                hide_holds=True,
                viewer=request.user,
            )
        except get_user_model().DoesNotExist:
            raise Http404 from None
        slots = selectors.calendar_slots(calendar, start_date=date, end_date=date)[date]
        payload = {
            "psychologist": calendar.psychologist_id,
            "date": date,
            "session_duration": calendar.session_duration,
            "time_zone": str(calendar.zone),
            "slots": slots,
        }
        return Response(AvailableSlotsSerializer(payload).data)


class SearchPsychologistsView(GenericAPIView):
    permission_classes = [AllowAny]
    serializer_class = PsychologistSearchResultSerializer

    @extend_schema(
        operation_id="scheduling_search_psychologists",
        summary="Professionals with free slots on a date",
        description=(
            "Public professionals with at least one free slot on `date` (each in their own"
            " time zone), with those slots. Filters: `specialization` (id or slug), `city`."
            " Paginated."
        ),
        parameters=[SearchPsychologistsQuerySerializer],
        responses={200: PsychologistSearchResultSerializer(many=True)},
    )
    def get(self, request, *args, **kwargs):
        query = SearchPsychologistsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        found = selectors.professionals_with_free_slots(**query.validated_data, viewer=request.user)
        for user, slots in found:
            user.available_slots = slots
        page = self.paginate_queryset([user for user, _slots in found])
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


# -- appointments --------------------------------------------------------------------------

APPOINTMENT_EXAMPLE = OpenApiExample(
    "A pending appointment",
    value={
        "id": 42,
        "patient": {"id": 3, "first_name": "Ana", "last_name": "Quispe"},
        "psychologist": {"id": 7, "first_name": "Luis", "last_name": "Mamani"},
        "appointment_date": "2030-05-27",
        "start_time": "09:00",
        "end_time": "10:00",
        "start": "2030-05-27T09:00:00-04:00",
        "end": "2030-05-27T10:00:00-04:00",
        "time_zone": "America/La_Paz",
        "status": "pending",
        "reason": "Ansiedad",
        "cancellation_reason": "",
        "cancelled_by": None,
        "cancelled_at": None,
        "is_late_cancellation": False,
        "modality": "online",
        "location": "",
        "meeting_url": "https://meet.example.com/psico-42",
        "payment_status": "unpaid",
        "fee": "200.00",
        "created_at": "2030-05-20T10:15:00-04:00",
        "updated_at": "2030-05-20T10:15:00-04:00",
    },
    response_only=True,
)


def _transition_schema(operation_id: str, summary: str, description: str, request=None):
    return extend_schema(
        operation_id=operation_id,
        summary=summary,
        description=description,
        request=request,
        responses={
            200: AppointmentSerializer,
            400: SERVICE_REFUSAL,
            403: SERVICE_REFUSAL,
        },
    )


@extend_schema_view(
    list=extend_schema(
        operation_id="scheduling_appointments_list",
        summary="Your appointments",
        description=(
            "Patients see theirs, professionals theirs, admins all. `date_from`/`date_to` are"
            " local dates in each professional's time zone, as `appointment_date` shows them."
            " Ordered by start."
        ),
        responses={
            200: AppointmentSerializer(many=True),
        },
    ),
    retrieve=extend_schema(
        operation_id="scheduling_appointments_retrieve",
        summary="One appointment",
        responses={
            200: AppointmentSerializer,
        },
        examples=[APPOINTMENT_EXAMPLE],
    ),
    create=extend_schema(
        operation_id="scheduling_appointments_create",
        summary="Book an appointment (patients; the front desk for a patient)",
        description=(
            "`appointment_date` and `start_time` are local to the professional's time zone."
            " Every booking rule answers 400 with its own message. A patient books for"
            " themselves; a clinic admin names the `patient` (required for them, a 400 from"
            " anyone else). A professional not accepting new patients, or not public, is"
            " booked only for patients who already have a non-cancelled appointment with"
            " them (a non-public one also by the front desk for anyone)."
        ),
        request=AppointmentCreateSerializer,
        responses={
            201: AppointmentSerializer,
            400: SERVICE_REFUSAL,
        },
        examples=[
            OpenApiExample(
                "Book 09:00",
                value={
                    "psychologist": 7,
                    "appointment_date": "2030-05-27",
                    "start_time": "09:00",
                    "reason": "Ansiedad",
                },
                request_only=True,
            ),
            APPOINTMENT_EXAMPLE,
        ],
    ),
    partial_update=extend_schema(
        operation_id="scheduling_appointments_partial_update",
        summary="Reschedule, change the reason, or set the session details",
        description=(
            "A new `appointment_date`/`start_time` is checked like a new booking and puts the"
            " appointment back to `pending`. Only the patient may change `reason`. `status`,"
            " `patient`, `psychologist` and the cancellation fields are refused (400): use"
            " the actions. The session details (`modality`, `location` for in-person"
            " sessions, `meeting_url` for online ones, https only, and `payment_status`) are"
            " set by the professional or a clinic admin; a patient sending any of them gets a"
            " 400 on those fields. The place changes only before the start; the payment"
            " status at any time. `fee` is copied from the professional's consultation fee"
            " at booking and is read-only."
        ),
        request=AppointmentPatchSerializer,
        responses={
            200: AppointmentSerializer,
            400: SERVICE_REFUSAL,
            403: SERVICE_REFUSAL,
        },
    ),
    confirm=_transition_schema(
        "scheduling_appointments_confirm",
        "Confirm (the professional)",
        "pending → confirmed, before the start.",
    ),
    cancel=_transition_schema(
        "scheduling_appointments_cancel",
        "Cancel (participants)",
        "pending/confirmed → cancelled, before the start; a reason is required. Inside the"
        " cancellation window the cancellation is marked late. The slot is bookable again.",
        request=AppointmentCancelSerializer,
    ),
    complete=_transition_schema(
        "scheduling_appointments_complete",
        "Mark as completed (the professional)",
        "pending/confirmed → completed, after the start time only.",
    ),
    no_show=_transition_schema(
        "scheduling_appointments_no_show",
        "Mark as no-show (the professional)",
        "pending/confirmed → no_show, after the start time only.",
    ),
)
class AppointmentViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = AppointmentSerializer
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    filterset_class = AppointmentFilter
    ordering_fields = ["start"]
    ordering = ["start", "pk"]
    http_method_names = ["get", "post", "patch", "head", "options"]
    lookup_value_converter = "psico_id"

    def get_permissions(self):
        if self.action == "create":
            return [IsAuthenticated(), IsPatientOrFrontDesk()]
        return [IsAuthenticated()]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return selectors.appointments_visible_to(user=None).none()
        return selectors.appointments_visible_to(user=self.request.user)

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        if request.user.is_clinic_admin:
            audit_event(
                action=AuditAction.ADMIN_APPOINTMENT_LIST,
                object_type="appointment",
                request=request,
            )
        return response

    def retrieve(self, request, *args, **kwargs):
        appointment = self.get_object()
        if not selectors.appointment_is_participant(appointment=appointment, user=request.user):
            # Only clinic admins see appointments they take no part in.
            audit_event(
                action=AuditAction.ADMIN_APPOINTMENT_READ,
                object_type="appointment",
                object_id=appointment.pk,
                subject=appointment.patient,
                request=request,
            )
        return self._respond(appointment)

    def _respond(self, appointment, status_code=status.HTTP_200_OK):
        # The request in the context decides who sees ``patient_contact``.
        serializer = AppointmentSerializer(appointment, context=self.get_serializer_context())
        return Response(serializer.data, status=status_code)

    def create(self, request, *args, **kwargs):
        serializer = AppointmentCreateSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        appointment = services.appointment_book(
            patient=data.get("patient", request.user),
            psychologist=data["psychologist"],
            date=data["appointment_date"],
            start_time=data["start_time"],
            reason=data["reason"],
            by=request.user,
        )
        return self._respond(self.get_queryset().get(pk=appointment.pk), status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        appointment = self.get_object()
        serializer = AppointmentUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        details = AppointmentSessionDetailsSerializer(data=request.data, partial=True)
        details.is_valid(raise_exception=True)
        data = serializer.validated_data
        with transaction.atomic():
            # Both changes or neither: a refused reschedule leaves the details as they were.
            if details.validated_data:
                services.appointment_details_update(
                    appointment=appointment, by=request.user, **details.validated_data
                )
            if data or not details.validated_data:
                services.appointment_update(
                    appointment=appointment,
                    by=request.user,
                    date=data.get("appointment_date"),
                    start_time=data.get("start_time"),
                    reason=data.get("reason"),
                )
        return self._respond(appointment)

    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        return self._respond(
            services.appointment_confirm(appointment=self.get_object(), by=request.user)
        )

    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        appointment = self.get_object()
        serializer = AppointmentCancelSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self._respond(
            services.appointment_cancel(
                appointment=appointment, by=request.user, reason=serializer.validated_data["reason"]
            )
        )

    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        return self._respond(
            services.appointment_complete(appointment=self.get_object(), by=request.user)
        )

    @action(detail=True, methods=["post"], url_path="no-show", url_name="no-show")
    def no_show(self, request, pk=None):
        return self._respond(
            services.appointment_mark_no_show(appointment=self.get_object(), by=request.user)
        )


# -- monthly summary -----------------------------------------------------------------------


class AppointmentSummaryView(GenericAPIView):
    permission_classes = [IsAuthenticated, IsProfessionalOrClinicAdmin]
    serializer_class = AppointmentSummarySerializer
    pagination_class = None

    @extend_schema(
        operation_id="scheduling_appointments_summary",
        summary="A month of sessions and fees",
        description=(
            "A professional's own appointments starting in `month` (local dates in their"
            " time zone): how many by status, and the sum of their fees by payment status"
            " (decimal strings; cancelled appointments still unpaid are left out). Clinic"
            " admins get the whole clinic, or one professional's with `?psychologist=<id>`"
            " (404 for an id that is not a professional); a professional may not send"
            " `psychologist` (400). Patients get 403. Two queries, whatever the month holds."
        ),
        parameters=[AppointmentSummaryQuerySerializer],
        responses={200: AppointmentSummarySerializer, 400: SERVICE_REFUSAL, 404: SERVICE_REFUSAL},
        examples=[
            OpenApiExample(
                "May 2030",
                value={
                    "month": "2030-05",
                    "psychologist": 7,
                    "sessions": {
                        "total": 14,
                        "pending": 2,
                        "confirmed": 3,
                        "cancelled": 1,
                        "completed": 7,
                        "no_show": 1,
                    },
                    "fees": {"unpaid": "1000.00", "paid": "1400.00", "waived": "200.00"},
                },
                response_only=True,
            )
        ],
    )
    def get(self, request, *args, **kwargs):
        query = AppointmentSummaryQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        psychologist_id = query.validated_data.get("psychologist")
        if not request.user.is_clinic_admin:
            if psychologist_id is not None:
                raise ValidationError({"psychologist": [ONLY_ADMINS_CHOOSE_THE_PROFESSIONAL]})
            psychologist_id = request.user.pk
        elif psychologist_id is not None and not selectors.is_professional(user_id=psychologist_id):
            raise Http404
        summary = selectors.appointment_month_summary(
            month=query.validated_data["month"], psychologist_id=psychologist_id
        )
        return Response(AppointmentSummarySerializer(summary).data)


# -- recurring series ----------------------------------------------------------------------

SERIES_EXAMPLE = OpenApiExample(
    "Twelve Mondays, two skipped",
    value={
        "id": 5,
        "patient": {"id": 3, "first_name": "Ana", "last_name": "Quispe"},
        "psychologist": {"id": 7, "first_name": "Luis", "last_name": "Mamani"},
        "start_date": "2030-05-27",
        "start_time": "09:00",
        "time_zone": "America/La_Paz",
        "frequency": "weekly",
        "count": 12,
        "until": None,
        "reason": "Terapia semanal",
        "appointments": [],
        "skipped": [
            {
                "date": "2030-06-10",
                "reason": "The professional is not available on that date or at that time.",
            }
        ],
        "pending_dates": [],
        "cancelled_from": None,
        "cancellation_reason": "",
        "cancelled_at": None,
        "created_at": "2030-05-20T10:15:00-04:00",
    },
    response_only=True,
)


@extend_schema_view(
    list=extend_schema(
        operation_id="scheduling_series_list",
        summary="Your recurring series",
        description=(
            "Patients see theirs, professionals those booked with them, admins all. Newest"
            " first; each with its appointments, skipped dates and pending dates."
        ),
        responses={200: AppointmentSeriesSerializer(many=True)},
    ),
    retrieve=extend_schema(
        operation_id="scheduling_series_retrieve",
        summary="One recurring series",
        responses={200: AppointmentSeriesSerializer},
        examples=[SERIES_EXAMPLE],
    ),
    create=extend_schema(
        operation_id="scheduling_series_create",
        summary="Book a weekly or biweekly series (patients; the front desk for a patient)",
        description=(
            "`start_date` and `start_time` are local to the professional's time zone; give"
            " exactly one of `count` (at most 52) and `until` (at most 52 dates). Each date"
            " within the booking horizon is booked like a single appointment, under every"
            " booking rule and with its own `appointment.booked` event; a date a rule refuses"
            " is listed in `skipped` with the rule's message. With `all_or_nothing`, or when"
            " no date can be booked, nothing is booked and the 400 lists the refused dates"
            " under `conflicts` (date → messages). Dates beyond the horizon are kept in"
            " `pending_dates` and booked by the clinic's worker when the horizon reaches them"
            " (then skipped with their reason if refused); `all_or_nothing` cannot cover"
            " those. `patient` works as in the single booking."
        ),
        request=AppointmentSeriesCreateSerializer,
        responses={201: AppointmentSeriesSerializer, 400: SERVICE_REFUSAL},
        examples=[
            OpenApiExample(
                "Twelve Mondays at 09:00",
                value={
                    "psychologist": 7,
                    "start_date": "2030-05-27",
                    "start_time": "09:00",
                    "frequency": "weekly",
                    "count": 12,
                    "reason": "Terapia semanal",
                },
                request_only=True,
            ),
            SERIES_EXAMPLE,
        ],
    ),
    cancel=extend_schema(
        operation_id="scheduling_series_cancel",
        summary="Cancel a series from a date (participants)",
        description=(
            "Cancels every pending or confirmed appointment of the series on `from_date`"
            " (local; default today) and after, each as a single cancellation (its own late"
            " mark and event), and the pending dates from then; a reason is required."
            " Appointments already started are left. 400 when nothing is left to cancel."
        ),
        request=AppointmentSeriesCancelSerializer,
        responses={200: AppointmentSeriesSerializer, 400: SERVICE_REFUSAL, 403: SERVICE_REFUSAL},
    ),
)
class AppointmentSeriesViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = AppointmentSeriesSerializer
    http_method_names = ["get", "post", "head", "options"]
    lookup_value_converter = "psico_id"

    def get_permissions(self):
        if self.action == "create":
            return [IsAuthenticated(), IsPatientOrFrontDesk()]
        return [IsAuthenticated()]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return selectors.appointment_series_visible_to(user=None).none()
        return selectors.appointment_series_visible_to(user=self.request.user)

    def _respond(self, series, status_code=status.HTTP_200_OK):
        fresh = self.get_queryset().get(pk=series.pk)
        return Response(self.get_serializer(fresh).data, status=status_code)

    def create(self, request, *args, **kwargs):
        serializer = AppointmentSeriesCreateSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            series = services.appointment_series_book(
                patient=data.get("patient", request.user),
                psychologist=data["psychologist"],
                start_date=data["start_date"],
                start_time=data["start_time"],
                frequency=data["frequency"],
                count=data.get("count"),
                until=data.get("until"),
                reason=data["reason"],
                all_or_nothing=data["all_or_nothing"],
                by=request.user,
            )
        except services.SeriesNotBooked as refusal:
            conflicts: dict[str, list[str]] = {}
            for refused in refusal.conflicts:
                conflicts.setdefault(refused.date.isoformat(), []).append(refused.reason)
            raise ValidationError(
                {"non_field_errors": refusal.messages, "conflicts": conflicts}
            ) from None
        return self._respond(series, status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        series = self.get_object()
        serializer = AppointmentSeriesCancelSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.appointment_series_cancel(
            series=series,
            by=request.user,
            reason=serializer.validated_data["reason"],
            from_date=serializer.validated_data.get("from_date"),
        )
        return self._respond(series)


# -- waiting list --------------------------------------------------------------------------

WAITLIST_ENTRY_EXAMPLE = OpenApiExample(
    "Waiting, with a time held",
    value={
        "id": 5,
        "psychologist": {"id": 7, "first_name": "Luis", "last_name": "Mamani"},
        "date_from": "2030-05-20",
        "date_to": "2030-06-10",
        "times": [{"start": "08:00", "end": "12:00"}],
        "status": "active",
        "created_at": "2030-05-19T18:02:00-04:00",
        "ended_at": None,
        "offer": {
            "appointment_date": "2030-05-27",
            "start_time": "09:00",
            "start": "2030-05-27T09:00:00-04:00",
            "end": "2030-05-27T10:00:00-04:00",
            "expires_at": "2030-05-20T10:45:00-04:00",
        },
    },
    response_only=True,
)


@extend_schema_view(
    list=extend_schema(
        operation_id="scheduling_waitlist_list",
        summary="Your waiting list entries (patients)",
        description=(
            "Newest first, booked and expired ones included (withdrawn ones are gone)."
            " `offer` is the time held for you now: book it"
            " (as any appointment) before `expires_at`; after that it goes to the next in line."
        ),
        responses={200: WaitlistEntrySerializer(many=True)},
    ),
    retrieve=extend_schema(
        operation_id="scheduling_waitlist_retrieve",
        summary="One of your waiting list entries",
        responses={200: WaitlistEntrySerializer},
        examples=[WAITLIST_ENTRY_EXAMPLE],
    ),
    create=extend_schema(
        operation_id="scheduling_waitlist_create",
        summary="Join a professional's waiting list (patients)",
        description=(
            "When an appointment of the professional is cancelled or moved and the freed time"
            " lies within `date_from`..`date_to` (local dates) and one of `times` (local"
            " ranges; none: any time), the first patient in line (by the entry's creation)"
            " who is free then gets it held for `WAITLIST_HOLD_MINUTES` (an email and a"
            " `waitlist.offered` event); during the hold only they can book it. The window"
            " must end today or later and at most `MAX_DAYS_AHEAD` days ahead; one active"
            " entry per professional. The entry ends when its holder books or its window"
            " passes."
        ),
        request=WaitlistEntryCreateSerializer,
        responses={201: WaitlistEntrySerializer, 400: SERVICE_REFUSAL},
        examples=[
            OpenApiExample(
                "Mornings, three weeks",
                value={
                    "psychologist": 7,
                    "date_from": "2030-05-20",
                    "date_to": "2030-06-10",
                    "times": [{"start": "08:00", "end": "12:00"}],
                },
                request_only=True,
            ),
            WAITLIST_ENTRY_EXAMPLE,
        ],
    ),
    destroy=extend_schema(
        operation_id="scheduling_waitlist_destroy",
        summary="Leave the waiting list",
        description=(
            "A time held for you is released and offered to the next in line; the entry is"
            " then gone for you (404). A booked or expired entry answers 400."
        ),
        responses={204: None, 400: SERVICE_REFUSAL},
    ),
)
class WaitlistViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = WaitlistEntrySerializer
    permission_classes = [IsAuthenticated, IsWaitingPatient]
    http_method_names = ["get", "post", "delete", "head", "options"]
    lookup_value_converter = "psico_id"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return selectors.waitlist_entries_of(patient=None).none()
        return selectors.waitlist_entries_of(patient=self.request.user)

    def create(self, request, *args, **kwargs):
        serializer = WaitlistEntryCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        entry = services.waitlist_entry_create(
            patient=request.user,
            psychologist=data["psychologist"],
            date_from=data["date_from"],
            date_to=data["date_to"],
            times=[(span["start"], span["end"]) for span in data.get("times", [])],
        )
        entry = self.get_queryset().get(pk=entry.pk)
        return Response(WaitlistEntrySerializer(entry).data, status=status.HTTP_201_CREATED)

    def destroy(self, request, *args, **kwargs):
        services.waitlist_entry_withdraw(entry=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)
