from __future__ import annotations

import datetime as dt
import functools
import re
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils import timezone
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

# [0-9], not \d: Python's \d also matches Arabic-Indic, fullwidth and every other Unicode digit,
# so "٧٨٩٠١٢٣" would pass and register the same CI a second time.
validate_ci = RegexValidator(
    regex=r"^[0-9]{7,10}\Z",
    message=_("The CI must have between 7 and 10 digits, with no letters or symbols."),
    code="invalid_ci",
)

validate_phone = RegexValidator(
    regex=r"^\+?[0-9]{7,15}\Z",
    message=_("Enter a valid phone number: 7 to 15 digits, optionally starting with +."),
    code="invalid_phone",
)


# Spaces, dashes, dots and brackets people write inside a phone number ("+591 712-34567").
_PHONE_SEPARATORS = re.compile(r"[\s\-.()]")


def normalize_ci(value: str | None) -> str | None:
    """A CI as stored: surrounding spaces removed; blank is "unknown" (None)."""
    return (value or "").strip() or None


def normalize_phone(value: str | None) -> str:
    """A phone as stored: without spaces, dashes, dots or brackets ("+59171234567")."""
    return _PHONE_SEPARATORS.sub("", value or "")


def validate_not_in_future(value) -> None:
    if value and value > timezone.localdate():
        raise ValidationError(_("The date of birth cannot be in the future."), code="future_date")


EARLIEST_DATE_OF_BIRTH = dt.date(1900, 1, 1)


def validate_not_too_old(value) -> None:
    if value and value < EARLIEST_DATE_OF_BIRTH:
        raise ValidationError(
            _("The date of birth cannot be before %(date)s."),
            code="date_too_old",
            params={"date": EARLIEST_DATE_OF_BIRTH.isoformat()},
        )


# Files of the tz database that are not places: the host's own zone (whatever the server is
# set to), the POSIX default rules and the "Factory" placeholder (its abbreviation is "-00").
_NOT_LOCATIONS = frozenset({"localtime", "posixrules", "Factory"})


@functools.cache
def _known_time_zones() -> frozenset[str]:
    # Walking the tz database on every validation is slow; it does not change while running.
    # The posix/ and right/ copies some systems ship are the same zones under another name.
    return frozenset(
        name
        for name in zoneinfo.available_timezones()
        if name not in _NOT_LOCATIONS and not name.startswith(("posix/", "right/"))
    )


def validate_language(value: str) -> None:
    """One of the site's ``LANGUAGES`` (read when called, so ``override_settings`` applies)."""
    if value not in dict(settings.LANGUAGES):
        raise ValidationError(
            _("“%(value)s” is not one of the site's languages."),
            code="invalid_language",
            params={"value": value},
        )


def validate_time_zone(value: str) -> None:
    if value not in _known_time_zones():
        raise ValidationError(
            _("“%(value)s” is not a known time zone."),
            code="invalid_time_zone",
            params={"value": value},
        )


def _is_new_upload(value) -> bool:
    # A FieldFile already in storage was checked when it was uploaded; re-reading it on every
    # full_clean() would fetch it from (possibly remote) storage for nothing.
    return bool(value) and not getattr(value, "_committed", False)


@deconstructible
class FileSizeValidator:
    """Refuses files larger than the ``setting`` key of PSICO_ACCOUNTS (read at call time)."""

    def __init__(self, setting: str = "PROFILE_PICTURE_MAX_BYTES") -> None:
        self.setting = setting

    def __call__(self, value) -> None:
        from .conf import accounts_settings

        limit = getattr(accounts_settings, self.setting)
        if _is_new_upload(value) and value.size > limit:
            raise ValidationError(
                _("The file is too large (%(size)s KB); the limit is %(limit)s KB."),
                code="file_too_large",
                params={"size": value.size // 1024, "limit": limit // 1024},
            )

    def __eq__(self, other) -> bool:
        return isinstance(other, FileSizeValidator) and other.setting == self.setting


@deconstructible
class ImageFileValidator:
    """Accepts only real images in one of the PSICO_ACCOUNTS ``PROFILE_PICTURE_FORMATS``.

    The model's ImageField does not look inside the file (only form fields do), so services
    and the admin would otherwise store anything with a picture's name.
    """

    def __call__(self, value) -> None:
        if not _is_new_upload(value):
            return
        from PIL import Image

        from .conf import accounts_settings

        allowed = {fmt.upper() for fmt in accounts_settings.PROFILE_PICTURE_FORMATS}
        invalid = ValidationError(
            _("Upload a valid image (%(formats)s)."),
            code="invalid_image",
            params={"formats": ", ".join(sorted(allowed))},
        )
        position = value.tell() if hasattr(value, "tell") else 0
        try:
            value.seek(0)
            with Image.open(value) as image:
                image.verify()
                image_format = (image.format or "").upper()
        except Exception as exc:  # Pillow raises many types for broken or foreign files.
            raise invalid from exc
        finally:
            value.seek(position)
        if image_format not in allowed:
            raise invalid

    def __eq__(self, other) -> bool:
        return isinstance(other, ImageFileValidator)


@deconstructible
class SessionDurationValidator:
    """Keeps a session length (minutes) within the PSICO_ACCOUNTS bounds, read at call time."""

    def __call__(self, value) -> None:
        from .conf import accounts_settings

        low = accounts_settings.SESSION_DURATION_MIN
        high = accounts_settings.SESSION_DURATION_MAX
        if value is not None and not low <= value <= high:
            raise ValidationError(
                _("The session duration must be between %(low)s and %(high)s minutes."),
                code="session_duration_out_of_bounds",
                params={"low": low, "high": high},
            )

    def __eq__(self, other) -> bool:
        return isinstance(other, SessionDurationValidator)
