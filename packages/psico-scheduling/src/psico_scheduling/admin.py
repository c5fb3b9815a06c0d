"""Django admin: schedules are edited under the same rules as the API, and appointment
status changes go through the lifecycle services."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext_lazy as _
from psico_core.admin import ReadOnlyModelAdmin
from psico_core.service_forms import check_through_service

from . import selectors, services
from .models import (
    Appointment,
    AppointmentEvent,
    AppointmentSeries,
    BlockedDate,
    SeriesDate,
    WaitlistEntry,
    WaitlistOffer,
    WeeklyAvailability,
)

PEOPLE_SEARCH = ("email", "first_name", "last_name")


def _search(prefix: str) -> tuple[str, ...]:
    return tuple(f"{prefix}__{name}" for name in PEOPLE_SEARCH)


class WeeklyAvailabilityForm(forms.ModelForm):
    """Checked by the same services that save it: a rule for someone who is not a
    professional, an inverted range or an overlap is a form error, never a saved row."""

    class Meta:
        model = WeeklyAvailability
        fields = ["psychologist", "day_of_week", "start_time", "end_time", "is_active"]

    def clean(self):
        super().clean()
        data = self.cleaned_data  # what ModelForm.clean() returns
        if self.errors:
            return data
        check_through_service(self, lambda: save_rule(self.instance, data))
        return data


def save_rule(rule: WeeklyAvailability, data: dict) -> WeeklyAvailability:
    values = {name: data[name] for name in ("day_of_week", "start_time", "end_time", "is_active")}
    if rule.pk is None:
        return services.availability_rule_create(psychologist=data["psychologist"], **values)
    # Re-read so the service starts from the stored rule, not the form's edited copy.
    return services.availability_rule_update(
        rule=WeeklyAvailability.objects.get(pk=rule.pk), **values
    )


@admin.register(WeeklyAvailability)
class WeeklyAvailabilityAdmin(admin.ModelAdmin):
    form = WeeklyAvailabilityForm
    list_display = ["psychologist", "day_of_week", "start_time", "end_time", "is_active"]
    list_filter = ["day_of_week", "is_active"]
    search_fields = _search("psychologist")
    list_select_related = ["psychologist"]
    raw_id_fields = ["psychologist"]
    ordering = ["psychologist__last_name", "day_of_week", "start_time"]

    def get_readonly_fields(self, request, obj=None):
        # A rule belongs to one professional for good: move it by deleting and adding.
        return ["psychologist"] if obj is not None else []

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        if obj is not None:
            # The read-only owner is not in the form; the services still need it.
            form.base_fields.pop("psychologist", None)
        return form

    def save_model(self, request, obj, form, change):
        data = {**form.cleaned_data, "psychologist": obj.psychologist}
        saved = save_rule(obj, data)
        obj.pk = saved.pk

    def delete_model(self, request, obj):
        services.availability_rule_delete(rule=obj)

    def delete_queryset(self, request, queryset):
        for rule in queryset:
            services.availability_rule_delete(rule=rule)


class BlockedDateForm(forms.ModelForm):
    class Meta:
        model = BlockedDate
        fields = ["psychologist", "date", "start_time", "end_time", "reason"]

    def clean(self):
        super().clean()
        data = self.cleaned_data  # what ModelForm.clean() returns
        if self.errors:
            return data
        check_through_service(self, lambda: block_date(data))
        return data


def block_date(data: dict) -> BlockedDate:
    return services.blocked_date_create(
        psychologist=data["psychologist"],
        date=data["date"],
        start_time=data.get("start_time"),
        end_time=data.get("end_time"),
        reason=data.get("reason", ""),
    )


@admin.register(BlockedDate)
class BlockedDateAdmin(admin.ModelAdmin):
    """Added and removed through the services; there is no service to edit one, so an
    existing blocked date is read-only here (remove it and block again)."""

    form = BlockedDateForm
    list_display = ["psychologist", "date", "start_time", "end_time", "reason"]
    list_filter = ["date"]
    search_fields = (*_search("psychologist"), "reason")
    date_hierarchy = "date"
    list_select_related = ["psychologist"]
    raw_id_fields = ["psychologist"]

    def has_change_permission(self, request, obj=None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        obj.pk = block_date(form.cleaned_data).pk

    def delete_model(self, request, obj):
        services.blocked_date_delete(blocked_date=obj)

    def delete_queryset(self, request, queryset):
        for blocked in queryset:
            services.blocked_date_delete(blocked_date=blocked)


def _run_transition(modeladmin, request, queryset, service, done_message, **kwargs):
    done = 0
    for appointment in queryset:
        try:
            service(appointment=appointment, by=request.user, **kwargs)
        except (ValidationError, PermissionDenied) as error:
            text = "; ".join(getattr(error, "messages", None) or [str(error)])
            modeladmin.message_user(request, f"{appointment}: {text}", messages.WARNING)
        else:
            done += 1
    if done:
        modeladmin.message_user(request, done_message % {"count": done}, messages.SUCCESS)


@admin.action(description=_("Confirm selected appointments"))
def confirm_appointments(modeladmin, request, queryset):
    _run_transition(
        modeladmin,
        request,
        queryset,
        services.appointment_confirm,
        _("%(count)s appointment(s) confirmed."),
    )


@admin.action(description=_("Cancel selected appointments (by the clinic)"))
def cancel_appointments(modeladmin, request, queryset):
    _run_transition(
        modeladmin,
        request,
        queryset,
        services.appointment_cancel,
        _("%(count)s appointment(s) cancelled."),
        reason=str(_("Cancelled by the clinic.")),
    )


@admin.action(description=_("Mark selected appointments as completed"))
def complete_appointments(modeladmin, request, queryset):
    _run_transition(
        modeladmin,
        request,
        queryset,
        services.appointment_complete,
        _("%(count)s appointment(s) marked as completed."),
    )


@admin.action(description=_("Mark selected appointments as no-show"))
def no_show_appointments(modeladmin, request, queryset):
    _run_transition(
        modeladmin,
        request,
        queryset,
        services.appointment_mark_no_show,
        _("%(count)s appointment(s) marked as no-show."),
    )


def update_reason(appointment: Appointment, *, by, reason: str) -> Appointment:
    # Re-read so the service starts from the stored row, not the form's edited copy.
    stored = Appointment.objects.select_related("patient", "psychologist").get(pk=appointment.pk)
    return services.appointment_update(appointment=stored, by=by, reason=reason)


class AppointmentReasonForm(forms.ModelForm):
    """The reason is the only field the clinic edits here, through ``appointment_update``."""

    by: Any = None  # the signed-in admin, set by ``AppointmentAdmin.get_form``

    class Meta:
        model = Appointment
        fields = ["reason"]

    def clean(self):
        super().clean()
        data = self.cleaned_data  # what ModelForm.clean() returns
        if self.errors or "reason" not in self.changed_data:
            return data
        check_through_service(
            self, lambda: update_reason(self.instance, by=self.by, reason=data["reason"])
        )
        return data


# The change form of an appointment; only the reason is editable.
APPOINTMENT_ADMIN_FIELDS = (
    "patient",
    "psychologist",
    "start",
    "end",
    "status",
    "reason",
    "cancellation_reason",
    "cancelled_by",
    "cancelled_at",
    "is_late_cancellation",
    "created_at",
    "updated_at",
)


@admin.register(Appointment)
class AppointmentAdmin(admin.ModelAdmin):
    """Appointments are booked through the API (every rule applies there); here the clinic
    follows them and moves their status with the actions, which call the services."""

    list_display = [
        "id",
        "local_start",
        "patient",
        "psychologist",
        "status",
        "is_late_cancellation",
    ]
    list_filter = ["status", "is_late_cancellation", "start"]
    search_fields = (*_search("patient"), *_search("psychologist"))
    date_hierarchy = "start"
    list_select_related = ["patient", "psychologist__professional_profile"]
    actions = [
        confirm_appointments,
        cancel_appointments,
        complete_appointments,
        no_show_appointments,
    ]
    fields = APPOINTMENT_ADMIN_FIELDS
    readonly_fields = [name for name in APPOINTMENT_ADMIN_FIELDS if name != "reason"]
    form = AppointmentReasonForm

    def get_readonly_fields(self, request, obj=None):
        # A closed appointment is a record: its reason no longer changes (as in the API).
        if obj is None or selectors.appointment_is_open(obj):
            return self.readonly_fields
        return self.fields

    def get_form(self, request, obj=None, change=False, **kwargs):
        # A subclass of self.form, made by modelform_factory.
        form = cast("type[AppointmentReasonForm]", super().get_form(request, obj, change, **kwargs))
        form.by = request.user
        return form

    def save_model(self, request, obj, form, change):
        if "reason" in form.changed_data:
            update_reason(obj, by=request.user, reason=form.cleaned_data["reason"])

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        # History is kept: cancel instead.
        return False

    @admin.display(description=_("start (professional's time)"), ordering="start")
    def local_start(self, appointment: Appointment) -> str:
        zone = selectors.professional_time_zone(appointment.psychologist)
        return appointment.start.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")


EVENT_ADMIN_FIELDS = (
    "appointment",
    "name",
    "sequence",
    "actor",
    "payload",
    "created_at",
    "dispatched_at",
    "relay_failures",
    "relay_error",
)


@admin.register(AppointmentEvent)
class AppointmentEventAdmin(ReadOnlyModelAdmin):
    """The outbox, read only: what happened to each appointment and whether it was relayed."""

    list_display = [
        "name",
        "appointment",
        "sequence",
        "actor",
        "created_at",
        "dispatched_at",
        "relay_failures",
    ]
    list_filter = ["name", ("dispatched_at", admin.EmptyFieldListFilter)]
    list_select_related = ["appointment__patient", "appointment__psychologist", "actor"]
    search_fields = (*_search("appointment__patient"), *_search("appointment__psychologist"))
    date_hierarchy = "created_at"
    fields = EVENT_ADMIN_FIELDS
    readonly_fields = EVENT_ADMIN_FIELDS


# -- recurring series ----------------------------------------------------------------------

SERIES_ADMIN_FIELDS = (
    "patient",
    "psychologist",
    "start_date",
    "start_time",
    "frequency",
    "count",
    "until",
    "reason",
    "booked_by",
    "cancelled_from",
    "cancellation_reason",
    "cancelled_by",
    "cancelled_at",
    "created_at",
)


class SeriesDateInline(admin.TabularInline):
    model = SeriesDate
    fields = ("date", "status", "reason")
    readonly_fields = ("date", "status", "reason")
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(AppointmentSeries)
class AppointmentSeriesAdmin(ReadOnlyModelAdmin):
    """Recurring series, read only: they are booked and cancelled through the API's services;
    each appointment of a series is managed on its own page."""

    list_display = [
        "patient",
        "psychologist",
        "frequency",
        "start_date",
        "start_time",
        "cancelled_from",
    ]
    list_filter = ["frequency", ("cancelled_from", admin.EmptyFieldListFilter)]
    list_select_related = ["patient", "psychologist"]
    search_fields = (*_search("patient"), *_search("psychologist"))
    date_hierarchy = "start_date"
    fields = SERIES_ADMIN_FIELDS
    readonly_fields = SERIES_ADMIN_FIELDS
    inlines = [SeriesDateInline]


# -- waiting list --------------------------------------------------------------------------


class WaitlistOfferInline(admin.TabularInline):
    model = WaitlistOffer
    fields = ("start", "end", "expires_at", "status", "freed_by", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(WaitlistEntry)
class WaitlistEntryAdmin(ReadOnlyModelAdmin):
    """The waiting lists, read only: patients join and leave them through the API, and the
    outbox relay makes the offers."""

    list_display = ["patient", "psychologist", "date_from", "date_to", "status", "created_at"]
    list_filter = ["status"]
    list_select_related = ["patient", "psychologist"]
    search_fields = (*_search("patient"), *_search("psychologist"))
    date_hierarchy = "created_at"
    fields = (
        "patient",
        "psychologist",
        "date_from",
        "date_to",
        "times",
        "status",
        "created_at",
        "ended_at",
    )
    readonly_fields = fields
    inlines = [WaitlistOfferInline]
