"""Django admin for clinic staff: users with their profile inline, profiles, specializations."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.db.models import Count
from django.utils.translation import gettext_lazy as _
from psico_core.service_forms import check_through_service

from . import services
from .models import PatientProfile, ProfessionalProfile, Specialization, User, UserType
from .services import PATIENT_PROFILE_FIELDS, PROFESSIONAL_PROFILE_FIELDS


class UserCreationForm(AdminUserCreationForm):
    """Email and password instead of a username, which is derived from the email. Checked
    and saved by ``user_create``, like every other account."""

    class Meta:
        model = User
        fields = ("email", "user_type", "first_name", "last_name", "ci")
        field_classes: ClassVar[dict] = {}

    def clean(self):
        data = super().clean()
        if not self.errors:
            check_through_service(self, lambda: create_user(self))
        return data


def create_user(form: UserCreationForm) -> User:
    data = form.cleaned_data
    return services.user_create(
        email=data["email"],
        # Left empty when the admin chose "no usable password": set through a reset.
        password=data.get("password1") or None,
        user_type=data["user_type"],
        first_name=data["first_name"],
        last_name=data["last_name"],
        ci=data.get("ci") or None,
    )


class UserEditForm(UserChangeForm):
    """The fields ``user_update`` knows are checked and saved by it (a new email clears the
    verification, a deactivated account loses its token, a new type gets its profile)."""

    class Meta(UserChangeForm.Meta):
        model = User
        field_classes: ClassVar[dict] = {}

    def clean(self):
        data = super().clean()
        if not self.errors and service_changes(self):
            check_through_service(self, lambda: update_user(self))
        return data


def service_changes(form: forms.ModelForm) -> dict:
    changes = {
        name: form.cleaned_data[name]
        for name in form.changed_data
        if name in services.USER_UPDATABLE_FIELDS
    }
    if changes.get("profile_picture") is False:  # the "clear" box: the service's None
        changes["profile_picture"] = None
    return changes


def update_user(form: UserEditForm) -> User:
    # Re-read: the form's instance is the edited copy, the service starts from the stored row.
    stored = User.objects.get(pk=form.instance.pk)
    return services.user_update(user=stored, data=service_changes(form))


# What no service covers is the admin site's own business: who may use it, and with which
# permissions (groups and user_permissions are saved with the form's many-to-many data).
ADMIN_SITE_FIELDS = ("is_staff", "is_superuser")


def update_profile(form: forms.ModelForm) -> None:
    """Saves an inline profile form's changes through the profile services."""
    profile = form.instance
    service: Callable[..., object]
    if isinstance(profile, ProfessionalProfile):
        service, allowed = services.professional_profile_update, PROFESSIONAL_PROFILE_FIELDS
    else:
        service, allowed = services.patient_profile_update, PATIENT_PROFILE_FIELDS
    changes = {name: form.cleaned_data[name] for name in form.changed_data if name in allowed}
    if not changes:
        return
    stored = type(profile).objects.get(pk=profile.pk)
    service(profile=stored, data=changes)


class ProfileForm(forms.ModelForm):
    def clean(self):
        data = super().clean()
        if not self.errors and self.instance.pk is not None:
            check_through_service(self, lambda: update_profile(self))
        return data


class PatientProfileInline(admin.StackedInline):
    model = PatientProfile
    form = ProfileForm
    can_delete = False
    extra = 0
    max_num = 1


class ProfessionalProfileInline(admin.StackedInline):
    model = ProfessionalProfile
    form = ProfileForm
    can_delete = False
    extra = 0
    max_num = 1
    filter_horizontal = ["specializations"]
    readonly_fields = ["created_at", "updated_at"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    add_form = UserCreationForm
    form = UserEditForm
    list_display = [
        "email",
        "get_full_name",
        "user_type",
        "ci",
        "phone",
        "is_active",
        "email_verified",
        "date_joined",
    ]
    list_display_links = ["email", "get_full_name"]
    list_filter = ["user_type", "is_active", "email_verified", "is_staff", "gender", "date_joined"]
    search_fields = ["email", "username", "first_name", "last_name", "ci", "phone"]
    ordering = ["-date_joined"]
    readonly_fields = ["username", "last_login", "date_joined", "updated_at"]
    fieldsets = (
        (None, {"fields": ("email", "username", "password", "user_type")}),
        (
            _("Personal info"),
            {
                "fields": (
                    "first_name",
                    "last_name",
                    "ci",
                    "phone",
                    "gender",
                    "date_of_birth",
                    "profile_picture",
                    "language",
                )
            },
        ),
        (
            _("Permissions"),
            {
                "fields": (
                    "is_active",
                    "email_verified",
                    "is_staff",
                    "is_superuser",
                    "groups",
                    "user_permissions",
                ),
                "classes": ("collapse",),
            },
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined", "updated_at")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "email",
                    "user_type",
                    "first_name",
                    "last_name",
                    "ci",
                    "usable_password",
                    "password1",
                    "password2",
                ),
            },
        ),
    )

    @admin.display(description=_("name"), ordering="last_name")
    def get_full_name(self, obj: User) -> str:
        return obj.get_full_name()

    def get_inlines(self, request, obj=None):
        if obj is None:
            return []
        return {
            UserType.PATIENT: [PatientProfileInline],
            UserType.PROFESSIONAL: [ProfessionalProfileInline],
        }.get(obj.user_type, [])

    def save_model(self, request, obj, form, change):
        if not change:
            created = create_user(form)
            obj.pk, obj._state.adding = created.pk, False
            return
        if service_changes(form):
            update_user(form)
        admin_site_changes = {
            name: form.cleaned_data[name] for name in ADMIN_SITE_FIELDS if name in form.changed_data
        }
        if admin_site_changes:
            User.objects.filter(pk=obj.pk).update(**admin_site_changes)
        obj.refresh_from_db()

    def save_formset(self, request, form, formset, change):
        # What formset.save() would record, for the admin's change message.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for profile_form in formset.forms:
            if profile_form.instance.pk is not None and profile_form.has_changed():
                update_profile(profile_form)
                formset.changed_objects.append((profile_form.instance, profile_form.changed_data))


@admin.register(Specialization)
class SpecializationAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "professional_count"]
    search_fields = ["name", "slug", "description"]
    prepopulated_fields = {"slug": ("name",)}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(professional_count=Count("professionals"))

    @admin.display(description=_("professionals"), ordering="professional_count")
    def professional_count(self, obj) -> int:
        return obj.professional_count


class ProfileAdmin(admin.ModelAdmin):
    """Profiles are changed through the profile services; they are created with their user."""

    form = ProfileForm

    def has_add_permission(self, request) -> bool:
        return False

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "user"]

    def save_model(self, request, obj, form, change):
        update_profile(form)
        obj.refresh_from_db()

    def save_related(self, request, form, formsets, change):
        # The specializations were saved by the service, with the rest of the profile.
        pass


@admin.register(ProfessionalProfile)
class ProfessionalProfileAdmin(ProfileAdmin):
    list_display = [
        "user",
        "city",
        "session_duration",
        "consultation_fee",
        "accepting_new_patients",
        "is_public",
    ]
    list_filter = ["is_public", "accepting_new_patients", "city", "specializations"]
    list_select_related = ["user"]
    search_fields = ["user__email", "user__first_name", "user__last_name", "license_number", "city"]
    filter_horizontal = ["specializations"]
    raw_id_fields = ["user"]
    readonly_fields = ["created_at", "updated_at"]


@admin.register(PatientProfile)
class PatientProfileAdmin(ProfileAdmin):
    list_display = ["user", "emergency_contact_name", "emergency_contact_phone", "created_at"]
    list_select_related = ["user"]
    search_fields = ["user__email", "user__first_name", "user__last_name", "user__ci"]
    raw_id_fields = ["user"]
    readonly_fields = ["created_at", "updated_at"]
