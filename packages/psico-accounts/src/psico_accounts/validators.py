from __future__ import annotations

import zoneinfo

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils import timezone
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

validate_ci = RegexValidator(
    regex=r"^\d{7,10}$",
    message=_("The CI must have between 7 and 10 digits, with no letters or symbols."),
    code="invalid_ci",
)

validate_phone = RegexValidator(
    regex=r"^\+?\d{7,15}$",
    message=_("Enter a valid phone number: 7 to 15 digits, optionally starting with +."),
    code="invalid_phone",
)


def validate_not_in_future(value) -> None:
    if value and value > timezone.localdate():
        raise ValidationError(
            _("The date of birth cannot be in the future."), code="future_date"
        )


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(
            _("“%(value)s” is not a known time zone."),
            code="invalid_time_zone",
            params={"value": value},
        )


@deconstructible
class FileSizeValidator:
    """Refuses files larger than the ``setting`` key of PSICO_ACCOUNTS (read at call time)."""

    def __init__(self, setting: str = "PROFILE_PICTURE_MAX_BYTES") -> None:
        self.setting = setting

    def __call__(self, value) -> None:
        from .conf import accounts_settings

        limit = getattr(accounts_settings, self.setting)
        if value and value.size > limit:
            raise ValidationError(
                _("The file is too large (%(size)s KB); the limit is %(limit)s KB."),
                code="file_too_large",
                params={"size": value.size // 1024, "limit": limit // 1024},
            )

    def __eq__(self, other) -> bool:
        return isinstance(other, FileSizeValidator) and other.setting == self.setting
