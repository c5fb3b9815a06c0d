from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


def validate_whole_minutes(value: dt.time | None) -> None:
    """Schedules are read to the minute: seconds would shift every slot off the HH:MM grid."""
    if value is not None and (value.second or value.microsecond):
        raise ValidationError(
            _("Use whole minutes (HH:MM), without seconds."), code="whole_minutes"
        )
