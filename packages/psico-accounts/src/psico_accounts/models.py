from __future__ import annotations

import re
import unicodedata
from typing import ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from .conf import DEFAULTS
from .validators import (
    FileSizeValidator,
    ImageFileValidator,
    SessionDurationValidator,
    normalize_ci,
    normalize_phone,
    validate_ci,
    validate_language,
    validate_not_in_future,
    validate_not_too_old,
    validate_phone,
    validate_time_zone,
)

BIO_MAX_LENGTH = 5000


class UserType(models.TextChoices):
    PATIENT = "patient", _("Patient")
    PROFESSIONAL = "professional", _("Professional")
    ADMIN = "admin", _("Administrator")


class SessionModality(models.TextChoices):
    """Where a session takes place; a professional's default, copied to each booking."""

    IN_PERSON = "in_person", _("In person")
    ONLINE = "online", _("Online")


class Gender(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    OTHER = "other", _("Other")
    UNDISCLOSED = "undisclosed", _("Prefer not to say")


def strip_accents(text: str) -> str:
    """``text`` without accents and other marks: "Peñaranda Álvarez" -> "Penaranda Alvarez"."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def username_base_from_email(email: str) -> str:
    """The local part of ``email`` with accents removed, lower-cased, safe for a username."""
    local = email.split("@", 1)[0]
    cleaned = re.sub(r"[^a-z0-9._-]", "", strip_accents(local).lower())
    return cleaned[:140] or "user"


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    @classmethod
    def normalize_email(cls, email: str | None) -> str:
        # Addresses are compared case-insensitively everywhere (login, uniqueness, reset), so
        # they are stored lower-cased rather than only lower-casing the domain.
        return (email or "").strip().lower()

    def get_by_natural_key(self, username: str | None):
        return self.get(**{f"{self.model.USERNAME_FIELD}__iexact": username})

    def unique_username(self, email: str) -> str:
        """A username derived from ``email``, with a numeric suffix when it is taken."""
        base = username_base_from_email(email)
        taken = set(self.filter(username__startswith=base).values_list("username", flat=True))
        if base not in taken:
            return base
        suffix = 2
        while f"{base}{suffix}" in taken:
            suffix += 1
        return f"{base}{suffix}"

    def _create_user(self, email: str, password: str | None, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        email = self.normalize_email(email)
        user = self.model(email=email, **extra_fields)
        if not user.username:
            user.username = self.unique_username(email)
        user.set_password(password)
        user.save(using=self._db)
        user.ensure_profile()
        return user

    def create_user(self, email: str, password: str | None = None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email: str, password: str | None = None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        extra_fields.setdefault("user_type", UserType.ADMIN)
        if not extra_fields["is_staff"] or not extra_fields["is_superuser"]:
            raise ValueError("A superuser needs is_staff=True and is_superuser=True.")
        return self._create_user(email, password, **extra_fields)


class User(AbstractUser):
    """A person who signs in with an email address: a patient, a professional or an admin."""

    email = models.EmailField(
        _("email address"),
        unique=True,
        error_messages={"unique": _("A user with this email address already exists.")},
    )
    user_type = models.CharField(
        _("user type"),
        max_length=20,
        choices=UserType.choices,
        default=UserType.PATIENT,
        db_index=True,
    )
    ci = models.CharField(
        _("CI"),
        max_length=10,
        unique=True,
        null=True,
        blank=True,
        validators=[validate_ci],
        error_messages={"unique": _("A user with this CI already exists.")},
        help_text=_("Bolivian identity card number (cédula de identidad), 7 to 10 digits."),
    )
    phone = models.CharField(_("phone"), max_length=16, blank=True, validators=[validate_phone])
    gender = models.CharField(_("gender"), max_length=20, choices=Gender.choices, blank=True)
    date_of_birth = models.DateField(
        _("date of birth"),
        null=True,
        blank=True,
        validators=[validate_not_too_old, validate_not_in_future],
    )
    profile_picture = models.ImageField(
        _("profile picture"),
        upload_to="profile_pictures/%Y/%m/",
        blank=True,
        validators=[ImageFileValidator(), FileSizeValidator()],
    )
    email_verified = models.BooleanField(_("email verified"), default=False)
    # No choices on the column: the host's LANGUAGES would be baked into a migration.
    language = models.CharField(
        _("language"),
        max_length=16,
        blank=True,
        validators=[validate_language],
        help_text=_(
            "Language of the emails sent to this user, one of the site's LANGUAGES; empty: "
            "the site's LANGUAGE_CODE."
        ),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    # The stubs expect Django's own UserManager here; this one replaces it (email sign-in).
    objects: ClassVar[UserManager] = UserManager()  # type: ignore[assignment]

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        # The stubs type AbstractUser.Meta's names as str; Django takes lazy translations.
        verbose_name = _("user")  # type: ignore[assignment]
        verbose_name_plural = _("users")  # type: ignore[assignment]
        ordering = ["id"]

    def __str__(self) -> str:
        return self.get_full_name() or self.email

    def clean_fields(self, exclude=None) -> None:
        # A blank CI is "unknown" (NULL), and several users may have an unknown CI. Both are
        # normalised before the field validators (and the uniqueness check) see them.
        self.ci = normalize_ci(self.ci)
        self.phone = normalize_phone(self.phone)
        super().clean_fields(exclude=exclude)

    def save(self, *args, **kwargs):
        if not self.username and self.email:
            self.username = type(self).objects.unique_username(self.email)
        super().save(*args, **kwargs)

    @property
    def is_patient(self) -> bool:
        return self.user_type == UserType.PATIENT

    @property
    def is_professional(self) -> bool:
        return self.user_type == UserType.PROFESSIONAL

    @property
    def is_clinic_admin(self) -> bool:
        return self.user_type == UserType.ADMIN or self.is_superuser

    def ensure_profile(self) -> PatientProfile | ProfessionalProfile | None:
        """The profile matching ``user_type``, created when missing (admins have none)."""
        profile_models: dict[str, type[PatientProfile] | type[ProfessionalProfile]] = {
            UserType.PATIENT: PatientProfile,
            UserType.PROFESSIONAL: ProfessionalProfile,
        }
        profile_model = profile_models.get(self.user_type)
        if profile_model is None:
            return None
        profile, _created = profile_model.objects.get_or_create(user=self)
        return profile


class Specialization(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("specialization")
        verbose_name_plural = _("specializations")

    def __str__(self) -> str:
        return self.name


class PatientProfile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="patient_profile",
        verbose_name=_("user"),
    )
    emergency_contact_name = models.CharField(
        _("emergency contact name"), max_length=150, blank=True
    )
    emergency_contact_phone = models.CharField(
        _("emergency contact phone"), max_length=16, blank=True, validators=[validate_phone]
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("patient profile")
        verbose_name_plural = _("patient profiles")

    def __str__(self) -> str:
        return str(self.user)

    def clean_fields(self, exclude=None) -> None:
        self.emergency_contact_phone = normalize_phone(self.emergency_contact_phone)
        super().clean_fields(exclude=exclude)


def default_time_zone() -> str:
    return settings.TIME_ZONE or "UTC"


class ProfessionalProfile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="professional_profile",
        verbose_name=_("user"),
    )
    bio = models.TextField(_("biography"), blank=True, max_length=BIO_MAX_LENGTH)
    license_number = models.CharField(_("license number"), max_length=50, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True, db_index=True)
    specializations = models.ManyToManyField(
        Specialization,
        related_name="professionals",
        blank=True,
        verbose_name=_("specializations"),
    )
    years_of_experience = models.PositiveSmallIntegerField(
        _("years of experience"), null=True, blank=True, validators=[MaxValueValidator(70)]
    )
    session_duration = models.PositiveSmallIntegerField(
        _("session duration (minutes)"),
        default=DEFAULTS["SESSION_DURATION_DEFAULT"],
        validators=[SessionDurationValidator()],
        help_text=_("Length of one appointment; slots are cut to this size."),
    )
    consultation_fee = models.DecimalField(
        _("consultation fee (Bs)"),
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        default=default_time_zone,
        validators=[validate_time_zone],
        help_text=_("Weekly availability is read in this time zone."),
    )
    accepting_new_patients = models.BooleanField(_("accepting new patients"), default=True)
    default_modality = models.CharField(
        _("default modality"),
        max_length=16,
        choices=SessionModality.choices,
        default=SessionModality.IN_PERSON,
        db_default=SessionModality.IN_PERSON,
        help_text=_("New appointments start with this modality; it can be changed on each one."),
    )
    is_public = models.BooleanField(
        _("listed in the public directory"), default=True, db_index=True
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("professional profile")
        verbose_name_plural = _("professional profiles")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(session_duration__gte=5, session_duration__lte=480),
                name="psico_accounts_session_duration_sane",
            ),
        ]

    def __str__(self) -> str:
        return str(self.user)


class DeviceToken(models.Model):
    """An API token of one signed-in device (one login), stored as the SHA-256 of its key.

    The key itself is shown once, in the login answer, and never stored: a copy of the database
    gives no working token. Keys are 32 random bytes, so a fast hash is enough (as in
    django-rest-knox); a slow password hash would only cost every request. A token expires
    ``TOKEN_TTL`` seconds after it was last used (sliding renewal) and can be revoked alone.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="device_tokens",
        verbose_name=_("user"),
    )
    digest = models.CharField(_("key digest"), max_length=64, unique=True)
    user_agent = models.CharField(_("user agent"), max_length=256, blank=True)
    created_at = models.DateTimeField(_("created at"))
    last_used_at = models.DateTimeField(_("last used at"))
    expires_at = models.DateTimeField(_("expires at"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("device token")
        verbose_name_plural = _("device tokens")
        ordering = ["-last_used_at", "-pk"]
        indexes = [models.Index(fields=["user", "revoked_at"], name="psico_acc_token_user_idx")]

    def __str__(self) -> str:
        return f"{self.user} ({self.user_agent or '?'})"


class TOTPDevice(models.Model):
    """A clinic administrator's authenticator app (TOTP, RFC 6238): the shared secret, whether
    its first code was confirmed, and the last time step used (a code works once)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="totp_device",
        verbose_name=_("user"),
    )
    secret = models.CharField(_("secret"), max_length=64)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    last_used_step = models.BigIntegerField(_("last used time step"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("authenticator app")
        verbose_name_plural = _("authenticator apps")

    def __str__(self) -> str:
        return str(self.user)


class PersonalDataExport(models.Model):
    """A user's data as JSON, built by the worker, downloaded once through a signed link."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="personal_data_exports",
        verbose_name=_("user"),
    )
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    ready_at = models.DateTimeField(_("ready at"), null=True, blank=True)
    downloaded_at = models.DateTimeField(_("downloaded at"), null=True, blank=True)
    # Emptied once downloaded (or when the link has expired and another is asked for).
    data = models.JSONField(_("data"), null=True, blank=True)

    class Meta:
        verbose_name = _("personal data export")
        verbose_name_plural = _("personal data exports")
        ordering = ["-requested_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.user} ({self.requested_at:%Y-%m-%d})"
