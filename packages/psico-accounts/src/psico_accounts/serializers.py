"""API shapes: separate read, create, update and public serializers.

Input serializers check types and the models' field validators; the services they feed
re-check everything (uniqueness, passwords, profiles) so that no entry point skips a rule.
"""

from __future__ import annotations

import copy

from django.conf import settings
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _
from psico_core.payloads import DatabaseIdRelatedField, InputModelSerializer, InputSerializer
from psico_core.query import QueryParametersSerializer
from rest_framework import serializers
from rest_framework.validators import UniqueValidator

from .models import DeviceToken, PatientProfile, ProfessionalProfile, Specialization, User, UserType
from .validators import normalize_phone, validate_phone

# Bounds of the text fields that have no model column to take them from. Passwords are
# hashed and compared with the user's attributes (a cost that grows with the length);
# 256 characters leave room for any passphrase.
PASSWORD_MAX_LENGTH = 256
EMAIL_MAX_LENGTH = 254
RESET_UID_MAX_LENGTH = 64
RESET_TOKEN_MAX_LENGTH = 128


class PhoneField(serializers.CharField):
    """A phone number, read without the spaces, dashes, dots or brackets people type in it."""

    def to_internal_value(self, data):
        return normalize_phone(super().to_internal_value(data))


class AccountsInputModelSerializer(InputModelSerializer):
    # Serializers without a docstring of their own document this one in the schema.
    """Base of the request-body serializers built from a model."""

    # Every phone column is read with PhoneField, so "+591 712-34567" is stored normalised.

    def build_standard_field(self, field_name, model_field):
        field_class, field_kwargs = super().build_standard_field(field_name, model_field)
        if validate_phone in getattr(model_field, "validators", ()):
            field_class = PhoneField
        return field_class, field_kwargs


class NormalizedEmailField(serializers.EmailField):
    """An email address compared and stored lower-cased, as the model stores it."""

    def to_internal_value(self, data):
        return User.objects.normalize_email(super().to_internal_value(data))


def _unique_email_validator() -> UniqueValidator:
    return UniqueValidator(
        queryset=User.objects.all(),
        lookup="iexact",
        message=User._meta.get_field("email").error_messages["unique"],
    )


def _password_field(**kwargs) -> serializers.CharField:
    return serializers.CharField(
        write_only=True,
        trim_whitespace=False,
        max_length=PASSWORD_MAX_LENGTH,
        style={"input_type": "password"},
        **kwargs,
    )


# Fields that bind a child field to themselves when they are built: copied deeply, so that the
# child of each copy belongs to that copy.
_FIELDS_WITH_CHILDREN = (
    serializers.BaseSerializer,
    serializers.ManyRelatedField,
    serializers.ListField,
    serializers.DictField,
    serializers.HStoreField,
)


def _field_copy(field: serializers.Field) -> serializers.Field:
    """A new unbound field like ``field``: fields with children are deep-copied as DRF does,
    the others copied shallowly (their construction arguments, validators, choices and messages
    are shared, and no field changes them; what binding sets is the copy's own)."""
    if isinstance(field, _FIELDS_WITH_CHILDREN):
        return copy.deepcopy(field)
    clone = object.__new__(type(field))
    clone.__dict__.update(field.__dict__)
    return clone


class FieldsBuiltOnceModelSerializer(serializers.ModelSerializer):
    # No docstring: serializers without one of their own would document it in the schema.
    #
    # For read serializers: build the fields from the model once per class, then copy them.
    # ModelSerializer inspects the model's fields again for every instance it creates, which
    # is about half of the time GET /users/me/ spends serializing; copying fields built once
    # gives the same fields for a fraction of it. The copies are fresh instances, bound to
    # their own serializer as usual, so nothing is shared between requests but the built
    # fields' construction arguments, which no field changes (``_field_copy``): deep copies
    # of every field took most of the time left.

    def get_fields(self) -> dict[str, serializers.Field]:
        cls = type(self)
        built = cls.__dict__.get("_fields_built_once")
        if built is None:
            built = super().get_fields()
            # Set on the concrete class: each serializer class keeps its own fields.
            setattr(cls, "_fields_built_once", built)  # noqa: B010
        return {name: _field_copy(field) for name, field in built.items()}


# Specializations ---------------------------------------------------------------------------


class SpecializationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Specialization
        fields = ["id", "name", "slug", "description"]
        read_only_fields = fields


class SpecializationSummarySerializer(FieldsBuiltOnceModelSerializer):
    class Meta:
        model = Specialization
        fields = ["id", "name", "slug"]
        read_only_fields = fields


# Profiles -----------------------------------------------------------------------------------


class PatientProfileSerializer(FieldsBuiltOnceModelSerializer, AccountsInputModelSerializer):
    # Read in every patient's GET /users/me/ and written by the clinic: the fields are built
    # once (FieldsBuiltOnceModelSerializer) and validate like any others.
    class Meta:
        model = PatientProfile
        fields = ["emergency_contact_name", "emergency_contact_phone"]


class ProfessionalProfileSerializer(FieldsBuiltOnceModelSerializer):
    """A professional's whole profile, as its owner and the clinic see it."""

    specializations = SpecializationSummarySerializer(many=True, read_only=True)

    class Meta:
        model = ProfessionalProfile
        fields = [
            "bio",
            "license_number",
            "city",
            "specializations",
            "years_of_experience",
            "session_duration",
            "consultation_fee",
            "time_zone",
            "accepting_new_patients",
            "default_modality",
            "is_public",
            "updated_at",
        ]
        read_only_fields = fields


class ProfessionalProfileUpdateSerializer(AccountsInputModelSerializer):
    """What a professional may change in their own profile; ``specializations`` are ids."""

    specializations = DatabaseIdRelatedField(
        many=True, queryset=Specialization.objects.all(), required=False
    )

    class Meta:
        model = ProfessionalProfile
        fields = [
            "bio",
            "city",
            "specializations",
            "years_of_experience",
            "session_duration",
            "consultation_fee",
            "time_zone",
            "accepting_new_patients",
            "default_modality",
            "is_public",
        ]


class ProfessionalProfileAdminSerializer(ProfessionalProfileUpdateSerializer):
    """The clinic also records the professional's license number."""

    class Meta(ProfessionalProfileUpdateSerializer.Meta):
        fields = [*ProfessionalProfileUpdateSerializer.Meta.fields, "license_number"]


# Users --------------------------------------------------------------------------------------

USER_READ_FIELDS = [
    "id",
    "email",
    "username",
    "first_name",
    "last_name",
    "full_name",
    "user_type",
    "ci",
    "phone",
    "gender",
    "date_of_birth",
    "profile_picture",
    "email_verified",
    "language",
    "is_active",
    "date_joined",
    "patient_profile",
    "professional_profile",
]


def _language_field(**kwargs) -> serializers.ChoiceField:
    # An enum of the site's LANGUAGES in the schema; empty stands for the site's default.
    return serializers.ChoiceField(
        choices=settings.LANGUAGES,
        required=False,
        allow_blank=True,
        help_text=_(
            "Language of the emails sent to this user; empty: the site's default language."
        ),
        **kwargs,
    )


class UserReadSerializer(FieldsBuiltOnceModelSerializer):
    """A user as they (or the clinic) see themselves, with the profile of their type."""

    full_name = serializers.CharField(source="get_full_name", read_only=True)
    patient_profile = PatientProfileSerializer(read_only=True, allow_null=True)
    professional_profile = ProfessionalProfileSerializer(read_only=True, allow_null=True)

    class Meta:
        model = User
        fields = USER_READ_FIELDS
        read_only_fields = fields

    def to_representation(self, instance):
        data = super().to_representation(instance)
        # A user whose type changed keeps the old profile for history; only the current one shows.
        if instance.user_type != UserType.PATIENT:
            data["patient_profile"] = None
        if instance.user_type != UserType.PROFESSIONAL:
            data["professional_profile"] = None
        return data


class UserUpdateSerializer(AccountsInputModelSerializer):
    """What a user may change about themselves (``PATCH /users/me/``, JSON or multipart)."""

    profile_picture = serializers.ImageField(
        required=False,
        allow_null=True,
        validators=User._meta.get_field("profile_picture").validators,
        help_text=_("An image file; send null (or an empty value) to remove the picture."),
    )
    language = _language_field()

    class Meta:
        model = User
        fields = [
            "first_name",
            "last_name",
            "phone",
            "gender",
            "date_of_birth",
            "profile_picture",
            "language",
        ]


class ProfilePictureFormSerializer(InputSerializer):
    """The multipart form of ``PATCH /users/me/``, as documented: the picture.

    The view reads every field of :class:`UserUpdateSerializer` from a form too, but a form
    carries only text, where an empty value stands for null: the other fields are documented
    in the JSON form, whose types say exactly what is accepted.
    """

    profile_picture = serializers.ImageField(
        allow_null=True,
        help_text=_("An image file; send null (or an empty value) to remove the picture."),
    )


class RegisterSerializer(AccountsInputModelSerializer):
    """Self-service sign-up, which only ever creates patients."""

    email = NormalizedEmailField(
        max_length=EMAIL_MAX_LENGTH, validators=[_unique_email_validator()]
    )
    password = _password_field()
    user_type = serializers.CharField(
        required=False,
        max_length=User._meta.get_field("user_type").max_length,
        allow_blank=True,
        allow_null=True,
        write_only=True,
        help_text=_('Optional; if sent, it must be "patient".'),
    )
    language = serializers.ChoiceField(
        choices=settings.LANGUAGES,
        required=False,
        help_text=_(
            "Language of the emails sent to this user; by default the language of the "
            "request (Accept-Language)."
        ),
    )

    class Meta:
        model = User
        fields = [
            "email",
            "password",
            "first_name",
            "last_name",
            "ci",
            "phone",
            "gender",
            "date_of_birth",
            "user_type",
            "language",
        ]
        extra_kwargs = {
            "first_name": {"required": True, "allow_blank": False},
            "last_name": {"required": True, "allow_blank": False},
            "ci": {"required": True, "allow_null": False, "allow_blank": False},
        }

    def validate_user_type(self, value):
        if value != UserType.PATIENT:
            raise serializers.ValidationError(
                _(
                    "Registration creates patient accounts only; professionals and "
                    "administrators are created by the clinic."
                ),
                code="forbidden_user_type",
            )
        return value


def _totp_code_field(**kwargs) -> serializers.CharField:
    return serializers.CharField(
        min_length=6,
        max_length=6,
        validators=[
            RegexValidator(r"^[0-9]{6}\Z", _("Enter the 6 digits of the code."), code="invalid")
        ],
        **kwargs,
    )


class LoginSerializer(InputSerializer):
    email = serializers.EmailField(max_length=EMAIL_MAX_LENGTH)
    password = _password_field()
    otp = _totp_code_field(
        required=False,
        help_text=_(
            "The current code of your authenticator app: required for clinic administrators "
            "who have one set up (or all of them, when the clinic requires it)."
        ),
    )


class ErasureSerializer(InputSerializer):
    password = _password_field(help_text=_("Your password, to confirm."))


class ExportDownloadQuerySerializer(QueryParametersSerializer):
    signature = serializers.CharField(
        max_length=200, help_text=_("From the emailed link; it works once.")
    )


class TOTPSetupSerializer(serializers.Serializer):
    """A new authenticator app's secret, to be confirmed with its first code."""

    provisioning_uri = serializers.CharField(
        read_only=True, help_text=_("An otpauth:// URI; show it as a QR code to scan.")
    )
    secret = serializers.CharField(
        read_only=True, help_text=_("The same secret, for typing it into the app.")
    )


class TOTPConfirmSerializer(InputSerializer):
    code = _totp_code_field(help_text=_("The code the authenticator app shows now."))


class AuthTokenSerializer(serializers.Serializer):
    """The answer to a registration or a login."""

    token = serializers.CharField(
        read_only=True, help_text=_('Send it as "Authorization: Token <token>".')
    )
    user = UserReadSerializer(read_only=True)


class PasswordResetSerializer(InputSerializer):
    email = serializers.EmailField(max_length=EMAIL_MAX_LENGTH)


class PasswordResetConfirmSerializer(InputSerializer):
    uid = serializers.CharField(max_length=RESET_UID_MAX_LENGTH)
    token = serializers.CharField(trim_whitespace=True, max_length=RESET_TOKEN_MAX_LENGTH)
    new_password = _password_field()


class EmailVerifySerializer(InputSerializer):
    uid = serializers.CharField(max_length=RESET_UID_MAX_LENGTH)
    token = serializers.CharField(trim_whitespace=True, max_length=RESET_TOKEN_MAX_LENGTH)


class PasswordChangeSerializer(InputSerializer):
    old_password = _password_field()
    new_password = _password_field()


class DetailSerializer(serializers.Serializer):
    detail = serializers.CharField(read_only=True)


class PasswordChangedSerializer(DetailSerializer):
    token = serializers.CharField(
        read_only=True, help_text=_("The new API token; the previous one no longer works.")
    )


class UserAdminCreateSerializer(AccountsInputModelSerializer):
    """How the clinic creates any kind of user, professionals with their profile included."""

    email = NormalizedEmailField(
        max_length=EMAIL_MAX_LENGTH, validators=[_unique_email_validator()]
    )
    password = _password_field(
        required=False,
        allow_null=True,
        help_text=_("Leave it out to let the user choose one through the password reset email."),
    )
    patient_profile = PatientProfileSerializer(required=False)
    professional_profile = ProfessionalProfileAdminSerializer(required=False)
    language = _language_field()

    class Meta:
        model = User
        fields = [
            "email",
            "password",
            "user_type",
            "first_name",
            "last_name",
            "ci",
            "phone",
            "gender",
            "date_of_birth",
            "is_active",
            "language",
            "patient_profile",
            "professional_profile",
        ]
        extra_kwargs = {
            "user_type": {"required": True},
            "first_name": {"required": True, "allow_blank": False},
            "last_name": {"required": True, "allow_blank": False},
        }


class UserAdminUpdateSerializer(UserAdminCreateSerializer):
    """The clinic's changes to a user; every field is optional."""

    email = NormalizedEmailField(
        max_length=EMAIL_MAX_LENGTH, required=False, validators=[_unique_email_validator()]
    )

    class Meta(UserAdminCreateSerializer.Meta):
        fields = [*UserAdminCreateSerializer.Meta.fields, "email_verified"]
        extra_kwargs = {
            "user_type": {"required": False},
            "first_name": {"allow_blank": False},
            "last_name": {"allow_blank": False},
        }


# Devices (API tokens) ---------------------------------------------------------------------


class DeviceSessionSerializer(serializers.ModelSerializer):
    """A signed-in device: one login's token (never its key)."""

    current = serializers.SerializerMethodField(
        help_text=_("Whether this is the token of the request.")
    )

    class Meta:
        model = DeviceToken
        fields = ["id", "created_at", "last_used_at", "expires_at", "user_agent", "current"]
        read_only_fields = fields

    def get_current(self, token: DeviceToken) -> bool:
        current = self.context.get("current_token")
        return current is not None and current.pk == token.pk


# The public directory -----------------------------------------------------------------------


class ProfessionalPublicSerializer(serializers.ModelSerializer):
    """What anyone may know about a professional: never email, phone, CI or date of birth."""

    full_name = serializers.CharField(source="get_full_name", read_only=True)
    bio = serializers.CharField(source="professional_profile.bio", read_only=True)
    city = serializers.CharField(source="professional_profile.city", read_only=True)
    specializations = SpecializationSummarySerializer(
        source="professional_profile.specializations", many=True, read_only=True
    )
    session_duration = serializers.IntegerField(
        source="professional_profile.session_duration", read_only=True
    )
    consultation_fee = serializers.DecimalField(
        source="professional_profile.consultation_fee",
        max_digits=10,
        decimal_places=2,
        allow_null=True,
        read_only=True,
    )
    years_of_experience = serializers.IntegerField(
        source="professional_profile.years_of_experience", allow_null=True, read_only=True
    )
    accepting_new_patients = serializers.BooleanField(
        source="professional_profile.accepting_new_patients", read_only=True
    )
    time_zone = serializers.CharField(source="professional_profile.time_zone", read_only=True)

    class Meta:
        model = User
        fields = [
            "id",
            "first_name",
            "last_name",
            "full_name",
            "profile_picture",
            "bio",
            "city",
            "specializations",
            "session_duration",
            "consultation_fee",
            "years_of_experience",
            "accepting_new_patients",
            "time_zone",
        ]
        read_only_fields = fields
