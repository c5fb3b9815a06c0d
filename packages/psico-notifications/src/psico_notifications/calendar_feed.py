"""Private calendar feeds: each user's appointments as an iCalendar (RFC 5545) document that
calendar apps subscribe to by URL, ``/api/calendar/<secret>.ics``.

Calendar apps cannot sign in, so the secret in the URL is the only key: it is random (256
bits), checked for its shape before any query, and kept out of the logs
(:mod:`psico_notifications.calendar_logging`). The feed holds only what a calendar needs: the time,
the status, who the session is with — the patient's first name for the professional, the
professional's name for the patient — and where (LOCATION: the address, or the meeting URL of an
online session, also as CONFERENCE); never an email, a phone, a reason or a note.

Each appointment is one event with the UID of the emailed invitations
(:func:`psico_notifications.invitations.appointment_uid`) and the SEQUENCE of its latest
change, so a calendar that imported the feed once, or an invitation, recognises it. A
cancelled appointment stays in the feed with STATUS:CANCELLED (a calendar that had it learns
of the cancellation instead of keeping a session that will not happen). The document is the
same bytes for the same appointments (DTSTAMP is the appointment's last change, never "now"),
which is what makes its ETag strong.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re

from django.db import IntegrityError, transaction
from django.db.models import IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from icalendar import Calendar, Event, vDuration
from psico_accounts.conf import accounts_settings
from psico_scheduling.models import AppointmentEvent, AppointmentStatus
from psico_scheduling.selectors import appointments_visible_to, professional_time_zone

from .conf import notifications_settings
from .emails import appointment_url, recipient_language
from .invitations import PRODID, add_session_place, appointment_uid, session_place
from .models import CalendarFeed, new_calendar_feed_secret

# What new_calendar_feed_secret() writes: 43 characters of the URL-safe base64 alphabet. ASCII
# only (no \w or \d, which would take Unicode digits and letters): anything else is a 404
# before any query.
_SECRET_LENGTH = len(new_calendar_feed_secret())
SECRET_PATTERN = re.compile(rf"[A-Za-z0-9_-]{{{_SECRET_LENGTH}}}", re.ASCII)

CALENDAR_CONTENT_TYPE = "text/calendar; charset=utf-8"

# iCalendar STATUS of each appointment status. A completed session or a no-show was planned
# and held its time: CONFIRMED (VEVENT has no status for what happened afterwards).
EVENT_STATUS = {
    AppointmentStatus.PENDING: "TENTATIVE",
    AppointmentStatus.CONFIRMED: "CONFIRMED",
    AppointmentStatus.CANCELLED: "CANCELLED",
    AppointmentStatus.COMPLETED: "CONFIRMED",
    AppointmentStatus.NO_SHOW: "CONFIRMED",
}


# --- The feed row -------------------------------------------------------------------------


def calendar_feed_of(*, user) -> CalendarFeed:
    """``user``'s feed, created with a new secret the first time it is asked for."""
    feed = CalendarFeed.objects.filter(user=user).first()
    if feed is not None:
        return feed
    try:
        with transaction.atomic():
            return CalendarFeed.objects.create(user=user)
    except IntegrityError:
        # Two first requests at once: the other one created it.
        return CalendarFeed.objects.get(user=user)


def calendar_feed_rotate(*, user) -> CalendarFeed:
    """Gives ``user``'s feed a new secret: from the commit on, the old URL answers 404."""
    feed = calendar_feed_of(user=user)
    feed.secret = new_calendar_feed_secret()
    feed.rotated_at = timezone.now()
    feed.save(update_fields=["secret", "rotated_at"])
    return feed


def calendar_feed_owner(*, secret: str):
    """The active user whose feed has ``secret``, or None — for a malformed, unknown or
    rotated secret alike. A malformed one costs no query."""
    if not isinstance(secret, str) or not SECRET_PATTERN.fullmatch(secret):
        return None
    feed = (
        CalendarFeed.objects.filter(secret=secret, user__is_active=True)
        .select_related("user")
        .first()
    )
    return feed.user if feed is not None else None


# --- The document -------------------------------------------------------------------------


def calendar_feed_appointments(*, user, now: dt.datetime | None = None) -> list:
    """The appointments in ``user``'s feed: those they take part in (as patient or as
    professional) that end at most ``CALENDAR_FEED_DAYS_BACK`` days before ``now`` and start
    at most ``CALENDAR_FEED_DAYS_AHEAD`` days after it, cancelled ones included, with
    ``feed_sequence``, the SEQUENCE of their latest change. One query.

    A clinic admin takes part in no appointment: their feed is empty. The clinic-wide view
    stays behind sign-in, in the appointments API, rather than behind a URL that works
    without it.
    """
    now = now or timezone.now()
    latest_sequence = (
        AppointmentEvent.objects.filter(appointment=OuterRef("pk"))
        .order_by("-sequence")
        .values("sequence")[:1]
    )
    return list(
        appointments_visible_to(user=user)
        .filter(
            Q(patient=user) | Q(psychologist=user),
            end__gt=now - dt.timedelta(days=notifications_settings.CALENDAR_FEED_DAYS_BACK),
            start__lt=now + dt.timedelta(days=notifications_settings.CALENDAR_FEED_DAYS_AHEAD),
        )
        .annotate(
            feed_sequence=Coalesce(Subquery(latest_sequence, output_field=IntegerField()), Value(0))
        )
    )


def _summary(appointment, *, user) -> str:
    if appointment.psychologist_id == user.pk:
        # The professional's calendar: the patient's first name only.
        name = appointment.patient.first_name.strip() or _("a patient")
    else:
        name = appointment.psychologist.get_full_name() or _("your professional")
    return _("Session with %(name)s") % {"name": name}


def calendar_feed_ics(*, user, now: dt.datetime | None = None) -> bytes:
    """``user``'s feed as ``.ics`` bytes, in their language (one query)."""
    appointments = calendar_feed_appointments(user=user, now=now)
    refresh = dt.timedelta(minutes=notifications_settings.CALENDAR_FEED_REFRESH_MINUTES)
    with translation.override(recipient_language(user)):
        calendar = Calendar()
        calendar.add("prodid", PRODID)
        calendar.add("version", "2.0")
        calendar.add("calscale", "GREGORIAN")
        name = _("%(site)s: your appointments") % {"site": accounts_settings.SITE_NAME}
        calendar.add("name", name)
        calendar.add("x-wr-calname", name)
        calendar.add("refresh-interval", vDuration(refresh), parameters={"VALUE": "DURATION"})
        calendar.add("x-published-ttl", vDuration(refresh))
        for appointment in appointments:
            zone = professional_time_zone(appointment.psychologist)
            event = Event()
            event.add("uid", appointment_uid(appointment.pk))
            event.add("sequence", appointment.feed_sequence)
            # Without METHOD, DTSTAMP is the last change (RFC 5545, 3.8.7.2), never "now":
            # the same appointments give the same bytes, and the same ETag.
            event.add("dtstamp", appointment.updated_at.astimezone(dt.UTC))
            event.add("last-modified", appointment.updated_at.astimezone(dt.UTC))
            event.add("dtstart", appointment.start.astimezone(zone))
            event.add("dtend", appointment.end.astimezone(zone))
            event.add("summary", _summary(appointment, user=user))
            event.add("status", EVENT_STATUS.get(appointment.status, "CONFIRMED"))
            event.add(
                "transp",
                "TRANSPARENT" if appointment.status == AppointmentStatus.CANCELLED else "OPAQUE",
            )
            url = appointment_url(appointment.pk)
            if url:
                event.add("url", url)
            add_session_place(event, session_place(appointment))
            calendar.add_component(event)
        calendar.add_missing_timezones()
    return calendar.to_ical()


def calendar_etag(body: bytes) -> str:
    """A strong ETag: the document's digest, quoted."""
    return '"' + hashlib.sha256(body).hexdigest() + '"'
