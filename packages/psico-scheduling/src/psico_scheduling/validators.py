from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

DATE_OUT_OF_WINDOW = _("Enter a date between %(first)s and %(last)s.")
MEETING_URL_NOT_HTTPS = _(
    "Enter a valid https:// address of the online meeting, without a user name or password."
)
MEETING_URL_MAX_LENGTH = 500

_https_url = URLValidator(schemes=["https"], message=MEETING_URL_NOT_HTTPS)


def date_window(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The first and last dates the scheduling API accepts: ``DATE_WINDOW_DAYS`` around today."""
    from .conf import scheduling_settings

    today = today or timezone.localdate()
    days = dt.timedelta(days=scheduling_settings.DATE_WINDOW_DAYS)
    return today - days, today + days


def validate_date_in_window(value: dt.date | None) -> None:
    """Refuses a date outside :func:`date_window`, before any arithmetic on it can overflow
    (``9999-12-31`` plus a day, ``0001-01-01`` in a zone east of UTC)."""
    if value is None:
        return
    first, last = date_window()
    if not first <= value <= last:
        raise ValidationError(
            DATE_OUT_OF_WINDOW,
            code="date_out_of_window",
            params={"first": first.isoformat(), "last": last.isoformat()},
        )


def validate_whole_minutes(value: dt.time | None) -> None:
    """Schedules are read to the minute: seconds would shift every slot off the HH:MM grid."""
    if value is not None and (value.second or value.microsecond):
        raise ValidationError(
            _("Use whole minutes (HH:MM), without seconds."), code="whole_minutes"
        )


def validate_meeting_url(value: str) -> None:
    """An online session's link: https only, a real host, no credentials, nothing invisible.

    The link is shown to the patient as something to click; ``javascript:``, ``http:``,
    ``https://user:pass@host`` (which hides the real host) and addresses with spaces or
    control characters are refused.
    """
    if not value:
        return
    if len(value) > MEETING_URL_MAX_LENGTH or any(
        character.isspace() or not character.isprintable() for character in value
    ):
        raise ValidationError(MEETING_URL_NOT_HTTPS, code="meeting_url")
    _https_url(value)
    if urlsplit(value).username is not None or "@" in urlsplit(value).netloc:
        raise ValidationError(MEETING_URL_NOT_HTTPS, code="meeting_url")
