"""Calendar invitations (RFC 5545 / iTIP RFC 5546) for the appointment emails, built with
the ``icalendar`` library.

One appointment is one calendar event: its UID never changes, and its SEQUENCE is the
outbox event's (0 at booking, one more per change), so a calendar that already holds the
appointment updates it (METHOD:REQUEST) or removes it (METHOD:CANCEL). Times are written in
the professional's time zone, whose VTIMEZONE the invitation carries.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from email.utils import parseaddr
from zoneinfo import ZoneInfo

from django.conf import settings
from icalendar import Calendar, Event, vCalAddress, vText
from psico_scheduling.models import SessionModality

from .conf import notifications_settings

REQUEST = "REQUEST"
CANCEL = "CANCEL"
PRODID = "-//Psico//psico-notifications//EN"


def appointment_uid(appointment_id: int) -> str:
    """The calendar UID of an appointment, the same in every invitation about it."""
    domain = notifications_settings.CALENDAR_UID_DOMAIN
    if not domain:
        address = parseaddr(notifications_settings.FROM_EMAIL or settings.DEFAULT_FROM_EMAIL)[1]
        domain = address.rpartition("@")[2] or "psico"
    return f"appointment-{appointment_id}@{domain}"


def _address(user, *, role: str | None = None) -> vCalAddress:
    address = vCalAddress(f"mailto:{user.email}")
    address.params["cn"] = vText(user.get_full_name() or user.email)
    if role:
        address.params["role"] = vText(role)
    return address


def session_place(appointment) -> dict[str, str]:
    """Where ``appointment`` happens, for a calendar entry: ``location`` (the address of an
    in-person session, the meeting URL of an online one) and ``conference`` (the meeting URL,
    online only). Both participants may see them; nobody else gets an invitation or a feed
    with this appointment."""
    if appointment.modality == SessionModality.ONLINE:
        return {"location": appointment.meeting_url, "conference": appointment.meeting_url}
    return {"location": appointment.location, "conference": ""}


def add_session_place(event: Event, place: Mapping[str, str] | None) -> None:
    """LOCATION, and for an online session CONFERENCE (RFC 7986), from :func:`session_place`."""
    if not place:
        return
    if place.get("location"):
        event.add("location", place["location"])
    if place.get("conference"):
        event.add(
            "conference", place["conference"], parameters={"VALUE": "URI", "FEATURE": "VIDEO"}
        )


def appointment_invitation(
    *,
    method: str,
    appointment_id: int,
    sequence: int,
    start: dt.datetime,
    end: dt.datetime,
    stamp: dt.datetime,
    zone: ZoneInfo,
    summary: str,
    patient,
    professional,
    status: str,
    place: Mapping[str, str] | None = None,
) -> bytes:
    """The ``.ics`` bytes of one invitation: ``method`` REQUEST (new or changed) or CANCEL.
    ``place`` is :func:`session_place` of the appointment (LOCATION, CONFERENCE)."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", method)
    event = Event()
    event.add("uid", appointment_uid(appointment_id))
    event.add("sequence", sequence)
    event.add("dtstamp", stamp.astimezone(dt.UTC))
    event.add("dtstart", start.astimezone(zone))
    event.add("dtend", end.astimezone(zone))
    event.add("summary", summary)
    event.add("status", status)
    event.add("organizer", _address(professional))
    event.add("attendee", _address(patient, role="REQ-PARTICIPANT"))
    add_session_place(event, place)
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()
