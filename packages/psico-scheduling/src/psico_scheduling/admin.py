"""Django admin: schedules are edited under the same rules as the API, and appointment
status changes go through the lifecycle services."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext_lazy as _

from . import services
from .models import Appointment, BlockedDate, WeeklyAvailability
from .selectors import professional_time_zone

PEOPLE_SEARCH = ("email", "first_name", "last_name")


def _search(prefix: str) -> tuple[str, ...]:
    return tuple(f"{prefix}__{name}" for name in PEOPLE_SEARCH)


class WeeklyAvailabilityForm(forms.ModelForm):
    class Meta:
        model = WeeklyAvailability
        fields = ["psychologist", "day_of_week", "start_time", "end_time", "is_active"]

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        services.availability_rule_validate(
            psychologist=data["psychologist"],
            day_of_week=data["day_of_week"],
            start_time=data["start_time"],
            end_time=data["end_time"],
            is_active=data["is_active"],
            exclude_id=self.instance.pk,
        )
        return data


@admin.register(WeeklyAvailability)
class WeeklyAvailabilityAdmin(admin.ModelAdmin):
    form = WeeklyAvailabilityForm
    list_display = ["psychologist", "day_of_week", "start_time", "end_time", "is_active"]
    list_filter = ["day_of_week", "is_active"]
    search_fields = _search("psychologist")
    list_select_related = ["psychologist"]
    raw_id_fields = ["psychologist"]
    ordering = ["psychologist__last_name", "day_of_week", "start_time"]


class BlockedDateForm(forms.ModelForm):
    class Meta:
        model = BlockedDate
        fields = ["psychologist", "date", "start_time", "end_time", "reason"]

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        services.blocked_date_validate(
            psychologist=data["psychologist"],
            date=data["date"],
            start_time=data.get("start_time"),
            end_time=data.get("end_time"),
        )
        return data


@admin.register(BlockedDate)
class BlockedDateAdmin(admin.ModelAdmin):
    form = BlockedDateForm
    list_display = ["psychologist", "date", "start_time", "end_time", "reason"]
    list_filter = ["date"]
    search_fields = (*_search("psychologist"), "reason")
    date_hierarchy = "date"
    list_select_related = ["psychologist"]
    raw_id_fields = ["psychologist"]


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
    fields = [
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
    ]
    readonly_fields = [name for name in fields if name != "reason"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        # History is kept: cancel instead.
        return False

    @admin.display(description=_("start (professional's time)"), ordering="start")
    def local_start(self, appointment: Appointment) -> str:
        zone = professional_time_zone(appointment.psychologist)
        return appointment.start.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")
