"""Writes and business rules for accounts. Every entry point (REST, admin, commands) uses these.

Services validate with the models' ``full_clean()`` and Django's password validators and raise
Django's ``ValidationError`` (field keys as in the API); views answer those with a 400.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Iterable, Mapping
from typing import Any

import pyotp
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.signals import user_logged_in
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.mail import EmailMultiAlternatives
from django.core.serializers.json import DjangoJSONEncoder
from django.core.signing import BadSignature, TimestampSigner
from django.db import IntegrityError, transaction
from django.db.models import Model, Q
from django.http import Http404, HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlencode, urlsafe_base64_decode, urlsafe_base64_encode
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from psico_core.audit import AuditAction, audit_event
from psico_core.precompiled import PrecompiledQuery

from .conf import accounts_settings
from .models import (
    DeviceToken,
    PatientProfile,
    PersonalDataExport,
    ProfessionalProfile,
    Specialization,
    TOTPDevice,
    User,
    UserType,
)
from .personal_data import export_sections, user_erased
from .tasks import build_personal_data_export, send_password_reset_email, send_verification_email
from .verification import email_verification_token_generator

USER_UPDATABLE_FIELDS = frozenset(
    {
        "email",
        "first_name",
        "last_name",
        "user_type",
        "ci",
        "phone",
        "gender",
        "date_of_birth",
        "profile_picture",
        "is_active",
        "email_verified",
        "language",
    }
)
PATIENT_PROFILE_FIELDS = frozenset({"emergency_contact_name", "emergency_contact_phone"})
PROFESSIONAL_PROFILE_FIELDS = frozenset(
    {
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
    }
)

ErrorDict = dict[str, list[ValidationError]]


def _collect(errors: ErrorDict, exc: ValidationError, *, field: str | None = None) -> None:
    """Merge ``exc`` into ``errors`` so that one response lists every problem at once."""
    if hasattr(exc, "error_dict") and field is None:
        for key, messages in exc.error_dict.items():
            errors.setdefault(key, []).extend(messages)
    else:
        errors.setdefault(field or NON_FIELD_ERRORS, []).extend(exc.error_list)


def _user_errors(user: User, password: str | None, *, exclude=None) -> ErrorDict:
    """Every problem of ``user``'s fields and of ``password`` (strength), gathered at once."""
    errors: ErrorDict = {}
    try:
        user.full_clean(exclude=exclude)
    except ValidationError as exc:
        _collect(errors, exc)
    if password is not None:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            _collect(errors, exc, field="password")
    return errors


def _check_unknown_fields(data: Mapping[str, Any], allowed: frozenset[str]) -> None:
    unknown = set(data) - allowed
    if unknown:
        # A programming error in a caller, not bad client input.
        raise TypeError(f"Unexpected fields: {', '.join(sorted(unknown))}")


def _assign(instance: Model, data: Mapping[str, Any]) -> None:
    for field, value in data.items():
        setattr(instance, field, value)


def _specializations(values: Iterable[Specialization | int]) -> list[Specialization]:
    values = list(values)
    ids = [value.pk if isinstance(value, Specialization) else value for value in values]
    found = list(Specialization.objects.filter(pk__in=ids))
    if len(found) != len(set(ids)):
        raise ValidationError(
            {"specializations": _("One or more specializations do not exist.")},
            code="invalid_specialization",
        )
    return found


def _build_profile(
    *, user_type: str, data: Mapping[str, Any] | None
) -> tuple[PatientProfile | ProfessionalProfile | None, list[Specialization] | None]:
    data = dict(data or {})
    if user_type == UserType.PATIENT:
        _check_unknown_fields(data, PATIENT_PROFILE_FIELDS)
        return PatientProfile(**data), None
    if user_type == UserType.PROFESSIONAL:
        _check_unknown_fields(data, PROFESSIONAL_PROFILE_FIELDS)
        specializations = data.pop("specializations", None)
        profile = ProfessionalProfile(**data)
        if specializations is not None:
            specializations = _specializations(specializations)
        return profile, specializations
    return None, None


def _save_new_user(user: User) -> None:
    """Insert ``user``, turning a lost race on a unique column into a ValidationError.

    Two requests may pass validation for the same email, CI or derived username at once;
    the database decides. A taken email/CI becomes a 400; a taken username gets a new suffix.
    """
    for _attempt in range(5):
        try:
            with transaction.atomic():
                user.save()
            return
        except IntegrityError:
            user.validate_unique()
            user.username = User.objects.unique_username(user.email)
    raise ValidationError(_("Could not create the account; please try again."))


@transaction.atomic
def user_create(
    *,
    email: str,
    password: str | None,
    user_type: str,
    first_name: str,
    last_name: str,
    ci: str | None = None,
    phone: str = "",
    gender: str = "",
    date_of_birth: dt.date | None = None,
    profile_picture: Any = None,
    is_active: bool = True,
    email_verified: bool = False,
    is_superuser: bool = False,
    language: str = "",
    patient_profile: Mapping[str, Any] | None = None,
    professional_profile: Mapping[str, Any] | None = None,
) -> User:
    """Create a user of any type together with its profile, all or nothing.

    ``password=None`` creates an account without a usable password: its owner sets one through
    the password reset flow. Admins get ``is_staff`` so that they can use the Django admin;
    ``is_superuser`` (never set from the API) also grants every permission there.
    ``patient_profile`` / ``professional_profile`` hold that profile's fields (the one not
    matching ``user_type`` is ignored); ``specializations`` may be instances or ids.
    """
    user = User(
        email=User.objects.normalize_email(email),
        user_type=user_type,
        first_name=(first_name or "").strip(),
        last_name=(last_name or "").strip(),
        ci=ci,
        phone=phone or "",
        gender=gender or "",
        date_of_birth=date_of_birth,
        is_active=is_active,
        email_verified=email_verified,
        is_staff=user_type == UserType.ADMIN or is_superuser,
        is_superuser=is_superuser,
        language=language or "",
    )
    if profile_picture:
        user.profile_picture = profile_picture
    user.username = User.objects.unique_username(user.email)
    if password is None:
        user.set_unusable_password()
    else:
        user.set_password(password)

    errors = _user_errors(user, password)
    profile_data = patient_profile if user_type == UserType.PATIENT else professional_profile
    profile, specializations = None, None
    try:
        profile, specializations = _build_profile(user_type=user_type, data=profile_data)
        if profile is not None:
            profile.full_clean(exclude=["user"])
    except ValidationError as exc:
        _collect(errors, exc)
    if errors:
        raise ValidationError(errors)

    _save_new_user(user)
    if profile is not None:
        profile.user = user
        profile.save()
        if isinstance(profile, ProfessionalProfile) and specializations is not None:
            profile.specializations.set(specializations)
    return user


def patient_register(
    *,
    email: str,
    password: str,
    first_name: str,
    last_name: str,
    ci: str,
    phone: str = "",
    gender: str = "",
    date_of_birth: dt.date | None = None,
    language: str = "",
) -> User:
    """Self-service sign-up: always a patient, always with a CI and a usable password.
    ``language`` is the one the person signed up in (the API takes it from the request).
    A verification email goes to the address (:func:`email_verification_request`)."""
    errors: ErrorDict = {}
    if not (ci or "").strip():
        errors["ci"] = [ValidationError(_("The CI is required."), code="required")]
    if not password:
        errors["password"] = [ValidationError(_("A password is required."), code="required")]
    if errors:
        raise ValidationError(errors)
    user = user_create(
        email=email,
        password=password,
        user_type=UserType.PATIENT,
        first_name=first_name,
        last_name=last_name,
        ci=ci,
        phone=phone,
        gender=gender,
        date_of_birth=date_of_birth,
        language=language,
    )
    email_verification_request(user=user)
    return user


def _delete_file_after_commit(storage, name: str) -> None:
    # Only once the new state is committed: a rollback must not leave a user without a picture.
    if name:
        transaction.on_commit(lambda: storage.delete(name))


def user_update(*, user: User, data: Mapping[str, Any]) -> User:
    """Change a user's fields, password and profile, validated as a whole; all or nothing.

    ``data`` may hold user fields, ``password``, and ``patient_profile`` /
    ``professional_profile`` dicts (only the one matching the resulting ``user_type`` is used).
    Which fields a caller may change is the caller's business (a user editing themselves may
    not change ``user_type``); this function applies the rules that always hold: changing the
    email clears ``email_verified``, a new ``user_type`` gets its profile, a deactivated user
    loses their API token, a replaced profile picture is deleted from storage. On a
    ValidationError, ``user`` is reloaded so that it holds no refused value.
    """
    try:
        with transaction.atomic():
            return _user_update(user=user, data=data)
    except ValidationError:
        user.refresh_from_db()
        raise


def _user_update(*, user: User, data: Mapping[str, Any]) -> User:
    data = dict(data)
    password = data.pop("password", None)
    profile_changes: dict[str, Any] = {
        UserType.PATIENT: data.pop("patient_profile", None),
        UserType.PROFESSIONAL: data.pop("professional_profile", None),
    }
    _check_unknown_fields(data, USER_UPDATABLE_FIELDS)
    old_picture = user.profile_picture.name if user.profile_picture else ""
    old_email, old_type = user.email, user.user_type

    if "email" in data:
        data["email"] = User.objects.normalize_email(data["email"])
        if data["email"] != old_email and "email_verified" not in data:
            data["email_verified"] = False
    if "profile_picture" in data and data["profile_picture"] is None:
        data["profile_picture"] = ""
    _assign(user, data)

    errors = _user_errors(user, password, exclude=["password"])
    if errors:
        raise ValidationError(errors)

    if password is not None:
        user.set_password(password)
    if user.user_type == UserType.ADMIN and old_type != UserType.ADMIN:
        user.is_staff = True
    user.save()
    profile = user.ensure_profile() if user.user_type != old_type else None
    changes = profile_changes.get(user.user_type)
    if changes:
        profile = profile or user.ensure_profile()
        if isinstance(profile, PatientProfile):
            patient_profile_update(profile=profile, data=changes)
        elif isinstance(profile, ProfessionalProfile):
            professional_profile_update(profile=profile, data=changes)
    if not user.is_active:
        token_revoke_all(user=user)
    new_picture = user.profile_picture.name if user.profile_picture else ""
    if old_picture and old_picture != new_picture:
        _delete_file_after_commit(user.profile_picture.storage, old_picture)
    return user


@transaction.atomic
def user_deactivate(*, user: User) -> User:
    """Switch an account off instead of deleting it, so that its history is kept."""
    return user_update(user=user, data={"is_active": False})


@transaction.atomic
def patient_profile_update(*, profile: PatientProfile, data: Mapping[str, Any]) -> PatientProfile:
    """Change a patient's profile (emergency contact)."""
    data = dict(data)
    _check_unknown_fields(data, PATIENT_PROFILE_FIELDS)
    _assign(profile, data)
    try:
        profile.full_clean(exclude=["user"])
    except ValidationError:
        profile.refresh_from_db()
        raise
    profile.save()
    return profile


@transaction.atomic
def professional_profile_update(
    *, profile: ProfessionalProfile, data: Mapping[str, Any]
) -> ProfessionalProfile:
    """Change a professional's profile; ``specializations`` (instances or ids) replaces the set."""
    data = dict(data)
    _check_unknown_fields(data, PROFESSIONAL_PROFILE_FIELDS)
    specializations = data.pop("specializations", None)
    _assign(profile, data)
    errors: ErrorDict = {}
    try:
        profile.full_clean(exclude=["user"])
    except ValidationError as exc:
        _collect(errors, exc)
    if specializations is not None:
        try:
            specializations = _specializations(specializations)
        except ValidationError as exc:
            _collect(errors, exc)
    if errors:
        profile.refresh_from_db()
        raise ValidationError(errors)
    profile.save()
    if specializations is not None:
        profile.specializations.set(specializations)
    return profile


def user_authenticate(
    *, email: str, password: str, otp: str | None = None, request: HttpRequest | None = None
) -> User:
    """The active user with these credentials; the same error for every kind of failure.

    A clinic administrator with a confirmed authenticator app (or any administrator, when
    ``REQUIRE_ADMIN_TOTP`` is on) must also give its current code as ``otp``; without it, or
    with a wrong or used one, a 400 on ``otp`` says so.
    """
    user = authenticate(request, email=email, password=password)
    if user is None:
        # Django's backends refuse inactive users too; saying which case it is would let
        # anyone probe which addresses have accounts.
        raise ValidationError(
            _("Unable to log in with the provided credentials."), code="authorization"
        )
    if user.is_clinic_admin:
        _require_totp(user=user, code=otp)
    return user


TOTP_STEP_SECONDS = 30
TOTP_ISSUER = "Psico"


def _confirmed_totp_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed_at__isnull=False).first()


def _require_totp(*, user: User, code: str | None) -> None:
    device = _confirmed_totp_device(user)
    if device is None:
        if accounts_settings.REQUIRE_ADMIN_TOTP:
            raise ValidationError(
                {
                    "otp": _(
                        "Administrators must sign in with an authenticator app, and this "
                        "account has none set up. Ask the clinic to turn the requirement off "
                        "while you set it up."
                    )
                },
                code="totp_not_set_up",
            )
        return
    if not code:
        raise ValidationError(
            {"otp": _("Enter the 6-digit code of your authenticator app.")}, code="otp_required"
        )
    if not _totp_accept(device=device, code=code):
        raise ValidationError({"otp": TOTP_CODE_INVALID}, code="otp_invalid")


TOTP_CODE_INVALID = _("This code is not valid (or was used already); enter the current one.")


def _totp_accept(*, device: TOTPDevice, code: str) -> bool:
    """Whether ``code`` is the device's code of the current time step or of a neighbour (clock
    drift), never a step used before; the step used is recorded, so a code works once."""
    if not (isinstance(code, str) and len(code) == 6 and code.isascii() and code.isdigit()):
        return False
    totp = pyotp.TOTP(device.secret, interval=TOTP_STEP_SECONDS)
    now = timezone.now()
    current = totp.timecode(now)
    for offset in (0, -1, 1):
        step = current + offset
        if device.last_used_step is not None and step <= device.last_used_step:
            continue
        if hmac.compare_digest(
            totp.at(now + dt.timedelta(seconds=offset * TOTP_STEP_SECONDS)), code
        ):
            # Conditional: two logins racing with one code cannot both use it.
            used = TOTPDevice.objects.filter(pk=device.pk).filter(
                Q(last_used_step__isnull=True) | Q(last_used_step__lt=step)
            )
            if used.update(last_used_step=step) == 1:
                device.last_used_step = step
                return True
            return False
    return False


@transaction.atomic
def totp_setup(*, user: User) -> str:
    """Start setting up an authenticator app for a clinic administrator: a new secret, and the
    ``otpauth://`` URI (a QR code) the app reads. It counts once confirmed
    (:func:`totp_confirm`). Refused when one is confirmed already: a stolen token must not be
    able to replace the second factor."""
    if _confirmed_totp_device(user) is not None:
        raise ValidationError(
            _("An authenticator app is set up already for this account."), code="totp_exists"
        )
    secret = pyotp.random_base32()
    TOTPDevice.objects.update_or_create(
        user=user, defaults={"secret": secret, "confirmed_at": None, "last_used_step": None}
    )
    return pyotp.TOTP(secret, interval=TOTP_STEP_SECONDS).provisioning_uri(
        name=user.email, issuer_name=accounts_settings.SITE_NAME or TOTP_ISSUER
    )


@transaction.atomic
def totp_confirm(*, user: User, code: str) -> TOTPDevice:
    """Confirm the app being set up with its current code; from then on, logins need one."""
    device = TOTPDevice.objects.select_for_update().filter(user=user).first()
    if device is None or device.confirmed_at is not None:
        raise ValidationError(
            _("Start setting up an authenticator app first."), code="totp_not_started"
        )
    if not _totp_accept(device=device, code=code):
        raise ValidationError({"code": TOTP_CODE_INVALID}, code="otp_invalid")
    device.confirmed_at = timezone.now()
    device.save(update_fields=["confirmed_at"])
    return device


def token_digest(key: str) -> str:
    """What is stored of an API token's key: its SHA-256, in hexadecimal."""
    return hashlib.sha256(key.encode()).hexdigest()


# New keys are 32 random bytes in hexadecimal (64 digits); the keys of DRF's authtoken that
# the migration carried over have 40. Anything else can name no token and is refused before
# any query (PostgreSQL refuses some text, such as a NUL byte, outright).
_TOKEN_KEY = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
# A token's use is recorded (and its expiry pushed back) at most this often: not a write on
# every request.
TOKEN_USE_RECORD_SECONDS = 60
USER_AGENT_MAX_LENGTH = 256

_token_queries: dict[tuple[str, ...], PrecompiledQuery[DeviceToken]] = {}


def _token_query(select_related: tuple[str, ...]) -> PrecompiledQuery[DeviceToken]:
    # Compiled once per process: compiling costs more than the database spends answering.
    query = _token_queries.get(select_related)
    if query is None:
        query = PrecompiledQuery(
            lambda digest: DeviceToken.objects.select_related(*select_related).filter(
                digest=digest, revoked_at__isnull=True
            ),
            "0" * 64,
        )
        _token_queries[select_related] = query
    return query


def token_authenticate(
    *, key: str, select_related: tuple[str, ...] = ("user",)
) -> DeviceToken | None:
    """The live token with this key, its active user loaded; None for anything else.

    The one place where a key becomes a user (the API's ``Authorization: Token`` and the chat
    socket's ``?token=``). An unknown, revoked or expired key, or an inactive user, gives None.
    Using a token renews it (``expires_at`` = now + ``TOKEN_TTL``), written at most once per
    :data:`TOKEN_USE_RECORD_SECONDS`, so most requests read one row and write nothing.
    ``select_related`` names what the query joins (it must include ``"user"``).
    """
    if not isinstance(key, str) or not _TOKEN_KEY.fullmatch(key):
        return None
    tokens = _token_query(select_related)(token_digest(key))
    if not tokens:
        return None
    token = tokens[0]
    now = timezone.now()
    if token.expires_at <= now or not token.user.is_active:
        return None
    if (now - token.last_used_at).total_seconds() >= TOKEN_USE_RECORD_SECONDS:
        token.last_used_at = now
        token.expires_at = now + dt.timedelta(seconds=accounts_settings.TOKEN_TTL)
        DeviceToken.objects.filter(pk=token.pk).update(
            last_used_at=token.last_used_at, expires_at=token.expires_at
        )
    return token


def _user_agent(request: HttpRequest | None) -> str:
    if request is None:
        return ""
    agent = str(request.META.get("HTTP_USER_AGENT", ""))
    # Printable text only: it is shown back in the list of devices.
    return "".join(char for char in agent if char.isprintable())[:USER_AGENT_MAX_LENGTH]


def token_create(*, user: User, user_agent: str = "") -> tuple[DeviceToken, str]:
    """A new token for one device of ``user``: the stored row and the key, which only the
    caller ever sees. The user's expired tokens are deleted on the way."""
    now = timezone.now()
    DeviceToken.objects.filter(user=user, expires_at__lte=now).delete()
    key = secrets.token_hex(32)
    token = DeviceToken.objects.create(
        user=user,
        digest=token_digest(key),
        user_agent=user_agent[:USER_AGENT_MAX_LENGTH],
        created_at=now,
        last_used_at=now,
        expires_at=now + dt.timedelta(seconds=accounts_settings.TOKEN_TTL),
    )
    return token, key


def token_issue(*, user: User, request: HttpRequest | None = None) -> tuple[DeviceToken, str]:
    """Sign ``user`` in on a new device (a login, a registration): a new token and its key.

    Every login gets its own token, so logging out on one device leaves the others signed in.
    """
    token, key = token_create(user=user, user_agent=_user_agent(request))
    # Fires Django's own last_login update and lets projects hook into API logins.
    user_logged_in.send(sender=type(user), request=request, user=user)
    return token, key


def token_revoke(*, token: DeviceToken) -> None:
    """Revoke one token (a logout, a device removed from the list): only its client gets 401."""
    DeviceToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    audit_event(
        action=AuditAction.TOKEN_REVOKE,
        object_type="device_token",
        object_id=token.pk,
        subject=token.user_id,
    )


def token_revoke_all(*, user: User, keep: DeviceToken | None = None) -> int:
    """Revoke every token of ``user`` (all devices), except ``keep``; returns how many."""
    tokens = DeviceToken.objects.filter(user=user, revoked_at__isnull=True)
    if keep is not None:
        tokens = tokens.exclude(pk=keep.pk)
    revoked = tokens.update(revoked_at=timezone.now())
    audit_event(
        action=AuditAction.TOKEN_REVOKE, object_type="user", object_id=user.pk, subject=user
    )
    return revoked


@transaction.atomic
def password_change(
    *,
    user: User,
    old_password: str,
    new_password: str,
    current_token: DeviceToken | None = None,
) -> str:
    """Set a new password after checking the current one; returns a new API token's key.

    Every token of the user is revoked, the one of the device that made the change included;
    that device goes on with the returned key (a new token with the same user agent). A
    token stolen before the change stops working with the old password.
    """
    if not user.check_password(old_password):
        raise ValidationError(
            {"old_password": _("Your old password was entered incorrectly.")},
            code="password_incorrect",
        )
    try:
        validate_password(new_password, user)
    except ValidationError as exc:
        raise ValidationError({"new_password": exc.error_list}) from exc
    user.set_password(new_password)
    user.save(update_fields=["password"])
    audit_event(
        action=AuditAction.PASSWORD_CHANGE,
        actor=user,
        object_type="user",
        object_id=user.pk,
        subject=user,
    )
    token_revoke_all(user=user)
    user_agent = current_token.user_agent if current_token is not None else ""
    _token, key = token_create(user=user, user_agent=user_agent)
    return key


def password_reset_request(*, email: str, from_email: str | None = None) -> None:
    """Have a reset link (uid + token) emailed to the active account with this address, if any.

    Only enqueues :func:`~psico_accounts.tasks.send_password_reset_email` with the address as
    submitted and the current language, whether or not an account has it: the request does the
    same work either way, so neither its answer nor its duration tells who has an account. The
    ``TASKS`` backend runs the task (a worker in production), which looks the account up.
    """
    send_password_reset_email.enqueue(email=email, language=get_language(), from_email=from_email)


def password_reset_email_send(
    *, email: str, language: str | None = None, from_email: str | None = None
) -> bool:
    """Email a reset link (uid + token) to the active account with this address; False if none.

    Runs in the background (see :func:`password_reset_request`), in ``language`` (None: the
    site's ``LANGUAGE_CODE``). A failing mail server raises, so that the task is recorded as
    failed with its traceback rather than lost silently.
    """
    user = (
        User.objects.filter(email__iexact=User.objects.normalize_email(email), is_active=True)
        .order_by("pk")
        .first()
    )
    if user is None:
        return False
    _send_link_email(
        user=user,
        token=default_token_generator.make_token(user),
        url_format=accounts_settings.PASSWORD_RESET_URL,
        url_name="reset_url",
        subject=_("Reset your %(site_name)s password"),
        template="registration/password_reset_email",
        from_email=from_email,
        language=language,
    )
    return True


def _send_link_email(
    *,
    user: User,
    token: str,
    url_format: str,
    url_name: str,
    subject,
    template: str,
    language: str | None,
    from_email: str | None = None,
) -> None:
    """Email ``user`` a link made of their uid and ``token`` (a password reset, an address
    to verify): ``template`` + ``.txt`` and ``.html``, rendered in ``language``, with the link
    as ``url_name`` (``url_format`` filled in; None when the setting is empty) beside
    ``uid``, ``token``, ``user``, ``email`` and ``site_name``. A failing mail server raises."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    site_name = accounts_settings.SITE_NAME
    context = {
        "user": user,
        "email": user.email,
        "uid": uid,
        "token": token,
        url_name: url_format.format(uid=uid, token=token) if url_format else None,
        "site_name": site_name,
    }
    with translation.override(language):
        message = EmailMultiAlternatives(
            subject=str(subject % {"site_name": site_name}),
            body=render_to_string(f"{template}.txt", context),
            from_email=from_email or accounts_settings.PASSWORD_RESET_FROM_EMAIL,
            to=[user.email],
        )
        message.attach_alternative(render_to_string(f"{template}.html", context), "text/html")
    message.send()


def _user_from_uid(uid: str) -> User | None:
    try:
        pk = force_str(urlsafe_base64_decode(uid))
        return User.objects.get(pk=pk, is_active=True)
    except (TypeError, ValueError, OverflowError, User.DoesNotExist, ValidationError):
        return None


@transaction.atomic
def password_reset_confirm(*, uid: str, token: str, new_password: str) -> User:
    """Set a new password from an emailed uid + token; the token then stops working.

    Django's token generator hashes the current password and last login into the token, so a
    used token is invalid afterwards, and tokens expire after ``PASSWORD_RESET_TIMEOUT``.
    Reaching the mailbox proves the address, so ``email_verified`` becomes true; the old API
    token is revoked.
    """
    user = _user_from_uid(uid)
    if user is None or not default_token_generator.check_token(user, token):
        raise ValidationError(
            {"token": _("This password reset link is invalid or has expired.")},
            code="invalid_token",
        )
    try:
        validate_password(new_password, user)
    except ValidationError as exc:
        raise ValidationError({"new_password": exc.error_list}) from exc
    user.set_password(new_password)
    user.email_verified = True
    user.save(update_fields=["password", "email_verified"])
    audit_event(
        action=AuditAction.PASSWORD_RESET,
        actor=user,
        object_type="user",
        object_id=user.pk,
        subject=user,
    )
    token_revoke_all(user=user)
    return user


EMAIL_ALREADY_VERIFIED = _("Your email address is already verified.")
EMAIL_VERIFICATION_INVALID = _("This verification link is invalid or has expired.")


def email_verification_request(*, user: User) -> None:
    """Have a verification link emailed to ``user`` (by the worker), in their language.

    Refused when the address is verified already, so that nobody mails themselves in a loop.
    """
    if user.email_verified:
        raise ValidationError(EMAIL_ALREADY_VERIFIED, code="already_verified")
    send_verification_email.enqueue(user_id=user.pk, language=user.language or get_language())


def email_verification_send(*, user_id: int, language: str | None = None) -> bool:
    """Email the verification link (uid + token) to the active, unverified account
    ``user_id``; False when there is none. Runs in the background; a failing mail server
    raises, so that the task records it."""
    user = User.objects.filter(pk=user_id, is_active=True, email_verified=False).first()
    if user is None:
        return False
    _send_link_email(
        user=user,
        token=email_verification_token_generator.make_token(user),
        url_format=accounts_settings.EMAIL_VERIFICATION_URL,
        url_name="verify_url",
        subject=_("Confirm your email address for %(site_name)s"),
        template="registration/email_verification_email",
        language=language,
    )
    return True


@transaction.atomic
def email_verify(*, uid: str, token: str) -> User:
    """Mark the address verified with the uid and token from the verification email.

    The token covers the address and its state, so it works once, and not for an address
    changed since it was sent.
    """
    user = _user_from_uid(uid)
    if user is None or not email_verification_token_generator.check_token(user, token):
        raise ValidationError({"token": EMAIL_VERIFICATION_INVALID}, code="invalid_token")
    user.email_verified = True
    user.save(update_fields=["email_verified", "updated_at"])
    return user


# The patient's rights: export and erasure ---------------------------------------------------

EXPORT_SIGNING_SALT = "psico_accounts.personal_data_export"
# Stored in place of an erased user's names (data, not a message: it is not translated).
ERASED_USER_NAME = "Usuario eliminado"


def _user_section(user: User) -> dict[str, Any]:
    section: dict[str, Any] = {
        field: getattr(user, field)
        for field in (
            "id",
            "email",
            "username",
            "first_name",
            "last_name",
            "user_type",
            "ci",
            "phone",
            "gender",
            "date_of_birth",
            "language",
            "email_verified",
            "date_joined",
            "last_login",
        )
    }
    section["profile_picture"] = user.profile_picture.name if user.profile_picture else ""
    patient = PatientProfile.objects.filter(user=user).first()
    if patient is not None:
        section["patient_profile"] = {
            "emergency_contact_name": patient.emergency_contact_name,
            "emergency_contact_phone": patient.emergency_contact_phone,
        }
    professional = ProfessionalProfile.objects.filter(user=user).first()
    if professional is not None:
        section["professional_profile"] = {
            field: getattr(professional, field)
            for field in PROFESSIONAL_PROFILE_FIELDS
            if field != "specializations"
        } | {"specializations": list(professional.specializations.values_list("name", flat=True))}
    section["devices"] = list(
        DeviceToken.objects.filter(user=user).values(
            "created_at", "last_used_at", "expires_at", "revoked_at", "user_agent"
        )
    )
    return section


def personal_data_export_request(*, user: User, download_url: str) -> PersonalDataExport:
    """Have ``user``'s data gathered by the worker and a download link emailed to them.

    ``download_url`` is the absolute address of the download endpoint; the link adds a signed,
    expiring ``signature`` to it (``EXPORT_LINK_TTL``) that works once.
    """
    export = PersonalDataExport.objects.create(user=user)
    build_personal_data_export.enqueue(
        export_id=export.pk, download_url=download_url, language=user.language or get_language()
    )
    return export


def personal_data_export_build(
    *, export_id: int, download_url: str, language: str | None = None
) -> bool:
    """Gather the export's data (accounts' own, and each app's through
    :data:`~psico_accounts.personal_data.personal_data_export`), store it and email the link;
    False when the export is gone or built already. Runs in the worker."""
    export = (
        PersonalDataExport.objects.select_related("user")
        .filter(pk=export_id, ready_at__isnull=True)
        .first()
    )
    if export is None:
        return False
    user = export.user
    now = timezone.now()
    data = {
        "generated_at": now,
        "user": _user_section(user),
        **export_sections(user=user),
    }
    export.data = json.loads(json.dumps(data, cls=DjangoJSONEncoder))
    export.ready_at = now
    export.save(update_fields=["data", "ready_at"])
    signature = TimestampSigner(salt=EXPORT_SIGNING_SALT).sign(str(export.pk))
    link = f"{download_url}?{urlencode({'signature': signature})}"
    days = accounts_settings.EXPORT_LINK_TTL // (24 * 3600)
    with translation.override(language):
        subject = _("Your %(site_name)s data is ready") % {"site_name": accounts_settings.SITE_NAME}
        body = _(
            "Hello,\n\nThe copy of your data you asked for is ready. Download it (once) from "
            "this link, which works for %(days)s days:\n\n%(link)s\n\nIf you did not ask for "
            "it, tell the clinic.\n\nThe %(site_name)s team"
        ) % {"days": days, "link": link, "site_name": accounts_settings.SITE_NAME}
        message = EmailMultiAlternatives(
            subject=str(subject),
            body=str(body),
            from_email=accounts_settings.PASSWORD_RESET_FROM_EMAIL,
            to=[user.email],
        )
    message.send()
    return True


@transaction.atomic
def personal_data_export_download(*, signature: str) -> dict[str, Any]:
    """The export a signed link names, once: it is emptied as it is handed out. ``Http404``
    for a bad, expired or used link."""
    try:
        export_id = TimestampSigner(salt=EXPORT_SIGNING_SALT).unsign(
            signature, max_age=accounts_settings.EXPORT_LINK_TTL
        )
    except BadSignature as exc:  # SignatureExpired is one too
        raise Http404 from exc
    export = (
        PersonalDataExport.objects.select_for_update()
        .filter(
            pk=int(export_id),
            ready_at__isnull=False,
            downloaded_at__isnull=True,
            user__is_active=True,
        )
        .first()
    )
    if export is None or export.data is None:
        raise Http404
    data = export.data
    export.data = None
    export.downloaded_at = timezone.now()
    export.save(update_fields=["data", "downloaded_at"])
    return data


@transaction.atomic
def user_erase(*, user: User, password: str | None = None) -> User:
    """Erase ``user``'s personal data, keeping what others need as anonymous history.

    With ``password`` (a user erasing themselves) it must be theirs; the clinic erases on
    request without it. The account is anonymised (names, a placeholder email, no CI, phone,
    gender, date of birth, picture or usable password) and switched off; its tokens, second
    factor and exports go; then :data:`~psico_accounts.personal_data.user_erased` lets the
    other apps erase theirs (the chat replaces the user's messages). Appointments stay, as the
    professional's records, with the anonymised user.
    """
    if password is not None and not user.check_password(password):
        raise ValidationError(
            {"password": _("Your password was entered incorrectly.")}, code="password_incorrect"
        )
    old_picture = user.profile_picture.name if user.profile_picture else ""
    user.first_name = ERASED_USER_NAME
    user.last_name = ""
    user.email = f"eliminado-{user.pk}@eliminado.invalid"
    user.username = f"eliminado-{user.pk}"
    user.ci = None
    user.phone = ""
    user.gender = ""
    user.date_of_birth = None
    user.profile_picture = ""
    user.language = ""
    user.email_verified = False
    user.is_active = False
    user.set_unusable_password()
    user.save()
    PatientProfile.objects.filter(user=user).update(
        emergency_contact_name="", emergency_contact_phone=""
    )
    ProfessionalProfile.objects.filter(user=user).update(
        bio="", license_number="", is_public=False, accepting_new_patients=False
    )
    token_revoke_all(user=user)
    TOTPDevice.objects.filter(user=user).delete()
    PersonalDataExport.objects.filter(user=user).delete()
    user_erased.send(sender=type(user), user=user)
    if old_picture:
        _delete_file_after_commit(user.profile_picture.storage, old_picture)
    return user


@transaction.atomic
def specializations_load(*, entries: Iterable[Mapping[str, str]]) -> tuple[int, int]:
    """Create or update specializations by slug; returns (created, updated). Idempotent."""
    created = updated = 0
    for entry in entries:
        specialization, was_created = Specialization.objects.get_or_create(
            slug=entry["slug"],
            defaults={"name": entry["name"], "description": entry.get("description", "")},
        )
        if was_created:
            created += 1
            continue
        changes = {
            field: entry[field]
            for field in ("name", "description")
            if field in entry and getattr(specialization, field) != entry[field]
        }
        if changes:
            _assign(specialization, changes)
            specialization.full_clean()
            specialization.save()
            updated += 1
    return created, updated
