"""Django admin for clinic staff: users with their profile inline, profiles, specializations."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from .models import PatientProfile, ProfessionalProfile, Specialization, User, UserType


class UserCreationForm(AdminUserCreationForm):
    """Email and password instead of a username, which is derived from the email."""

    class Meta:
        model = User
        fields = ("email", "user_type", "first_name", "last_name", "ci")
        field_classes: dict = {}


class UserEditForm(UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = User
        field_classes: dict = {}


class PatientProfileInline(admin.StackedInline):
    model = PatientProfile
    can_delete = False
    extra = 0
    max_num = 1


class ProfessionalProfileInline(admin.StackedInline):
    model = ProfessionalProfile
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
        if obj.user_type == UserType.ADMIN and not obj.pk:
            obj.is_staff = True
        super().save_model(request, obj, form, change)
        # Same invariant as the services: every patient and professional has a profile.
        obj.ensure_profile()


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


@admin.register(ProfessionalProfile)
class ProfessionalProfileAdmin(admin.ModelAdmin):
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
class PatientProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "emergency_contact_name", "emergency_contact_phone", "created_at"]
    list_select_related = ["user"]
    search_fields = ["user__email", "user__first_name", "user__last_name", "user__ci"]
    raw_id_fields = ["user"]
    readonly_fields = ["created_at", "updated_at"]
