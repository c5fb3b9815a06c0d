"""The appointment emails: subject, text and HTML bodies and invitation of each kind, in the
recipient's language."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from psico_accounts.conf import accounts_settings
from psico_scheduling.models import Appointment, AppointmentEvent, AppointmentStatus
from psico_scheduling.selectors import professional_time_zone

from . import invitations
from .conf import notifications_settings
from .models import EmailKind

INVITATION_FILENAME = "invitation.ics"


def recipient_language(user) -> str:
    """The user's language when the site still offers it, else the site's default."""
    language = getattr(user, "language", "") or ""
    return language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def appointment_url(appointment_id: int) -> str | None:
    """The appointment's page in the front end, or None without ``FRONTEND_URL``."""
    base = notifications_settings.FRONTEND_URL
    if not base:
        return None
    path = notifications_settings.APPOINTMENT_URL_PATH.format(appointment_id=appointment_id)
    return base.rstrip("/") + "/" + path.lstrip("/")


def _name(user) -> str:
    return user.get_full_name() or user.email


def _when(moment: dt.datetime, zone) -> str:
    local = moment.astimezone(zone)
    return f"{date_format(local, 'DATE_FORMAT')}, {local:%H:%M} ({zone.key})"


def _actor(event: AppointmentEvent) -> str:
    actor = event.actor
    appointment = event.appointment
    if actor is None or actor.pk not in (appointment.patient_id, appointment.psychologist_id):
        return _("The clinic")
    return _name(actor)


def _texts(kind: str, event: AppointmentEvent, zone, recipient=None) -> dict[str, Any]:
    """Subject, paragraphs and invitation of one kind, in the active language."""
    appointment = event.appointment
    patient, professional = appointment.patient, appointment.psychologist
    start = dt.datetime.fromisoformat(event.payload["start"])
    when = _when(start, zone)
    if kind == EmailKind.BOOKING_REQUEST and getattr(recipient, "pk", None) == patient.pk:
        # Someone else (the clinic's front desk) booked for the patient.
        return {
            "subject": _("Appointment booked for you: %(when)s") % {"when": when},
            "paragraphs": [
                _("%(actor)s booked an appointment for you with %(professional)s for %(when)s.")
                % {"actor": _actor(event), "professional": _name(professional), "when": when},
                _("The professional has to confirm it."),
            ],
            "action": _("See the appointment"),
            "method": None,
        }
    if kind == EmailKind.BOOKING_REQUEST:
        return {
            "subject": _("New appointment request: %(patient)s, %(when)s")
            % {"patient": _name(patient), "when": when},
            "paragraphs": [
                _("%(patient)s booked an appointment with you for %(when)s.")
                % {"patient": _name(patient), "when": when},
                _("It waits for your confirmation."),
            ],
            "action": _("Confirm or decline the appointment"),
            "method": None,
        }
    if kind == EmailKind.CONFIRMED:
        return {
            "subject": _("Your appointment of %(when)s is confirmed") % {"when": when},
            "paragraphs": [
                _("%(professional)s confirmed your appointment for %(when)s.")
                % {"professional": _name(professional), "when": when},
                _("The attached invitation adds it to your calendar."),
            ],
            "action": _("See the appointment"),
            "method": invitations.REQUEST,
            "status": "CONFIRMED",
        }
    if kind == EmailKind.RESCHEDULED:
        previous = _when(dt.datetime.fromisoformat(event.payload["previous_start"]), zone)
        return {
            "subject": _("New time for your appointment: %(when)s") % {"when": when},
            "paragraphs": [
                _("%(actor)s moved the appointment from %(previous)s to %(when)s.")
                % {"actor": _actor(event), "previous": previous, "when": when},
                _("The professional has to confirm the new time."),
                _("The attached invitation updates your calendar."),
            ],
            "action": _("See the appointment"),
            "method": invitations.REQUEST,
            "status": "TENTATIVE",
        }
    paragraphs = [
        _("%(actor)s cancelled the appointment of %(when)s.")
        % {"actor": _actor(event), "when": when}
    ]
    if event.payload.get("late"):
        paragraphs.append(_("It was cancelled less than the agreed notice before its start."))
    paragraphs.append(_("The attached invitation removes it from your calendar."))
    return {
        "subject": _("Appointment of %(when)s cancelled") % {"when": when},
        "paragraphs": paragraphs,
        "action": _("See the appointment"),
        "method": invitations.CANCEL,
        "status": "CANCELLED",
    }


def waitlist_offer_email(*, event: AppointmentEvent, recipient) -> EmailMultiAlternatives:
    """The ``waitlist.offered`` email to the waiting patient: which time is held for them and
    until when. It links to the front end's home (the freed appointment is someone else's)
    and carries no invitation: nothing is booked yet."""
    professional = event.appointment.psychologist
    zone = professional_time_zone(professional)
    with translation.override(recipient_language(recipient)):
        when = _when(dt.datetime.fromisoformat(event.payload["start"]), zone)
        until = _when(dt.datetime.fromisoformat(event.payload["expires_at"]), zone)
        texts = {
            "subject": _("A time is held for you: %(when)s") % {"when": when},
            "paragraphs": [
                _("A time you were waiting for with %(professional)s is free: %(when)s.")
                % {"professional": _name(professional), "when": when},
                _(
                    "It is held for you until %(until)s. Book it before then; after that it is"
                    " offered to the next patient on the waiting list."
                )
                % {"until": until},
            ],
            "action": _("Book the appointment"),
        }
        return _message(texts=texts, recipient=recipient, url=frontend_home_url())


def frontend_home_url() -> str | None:
    """The front end's address, or None without ``FRONTEND_URL``."""
    base = notifications_settings.FRONTEND_URL
    return base.rstrip("/") + "/" if base else None


def appointment_email(*, kind: str, event: AppointmentEvent, recipient) -> EmailMultiAlternatives:
    """The email of ``kind`` about ``event`` for ``recipient``, ready to send."""
    if kind == EmailKind.WAITLIST_OFFERED:
        return waitlist_offer_email(event=event, recipient=recipient)
    appointment = event.appointment
    zone = professional_time_zone(appointment.psychologist)
    with translation.override(recipient_language(recipient)):
        texts = _texts(kind, event, zone, recipient)
        message = _message(texts=texts, recipient=recipient, url=appointment_url(appointment.pk))
        if texts["method"]:
            summary = _("Appointment: %(patient)s with %(professional)s") % {
                "patient": _name(appointment.patient),
                "professional": _name(appointment.psychologist),
            }
            ics = invitations.appointment_invitation(
                method=texts["method"],
                appointment_id=appointment.pk,
                sequence=event.sequence,
                start=dt.datetime.fromisoformat(event.payload["start"]),
                end=dt.datetime.fromisoformat(event.payload["end"]),
                stamp=event.created_at,
                zone=zone,
                summary=summary,
                patient=appointment.patient,
                professional=appointment.psychologist,
                status=texts["status"],
                place=invitations.session_place(appointment),
            )
            message.attach(INVITATION_FILENAME, ics, "text/calendar")
    return message


def reminder_email(*, appointment: Appointment, recipient) -> EmailMultiAlternatives:
    """The reminder of ``appointment`` (at its current start) for ``recipient``, one of its
    participants, ready to send. It carries no invitation: the confirmation's is in the
    calendar already."""
    zone = professional_time_zone(appointment.psychologist)
    with translation.override(recipient_language(recipient)):
        when = _when(appointment.start, zone)
        if recipient.pk == appointment.psychologist_id:
            paragraphs = [
                _("This is a reminder of your appointment with %(patient)s on %(when)s.")
                % {"patient": _name(appointment.patient), "when": when}
            ]
            if appointment.status == AppointmentStatus.PENDING:
                paragraphs.append(_("It waits for your confirmation."))
        else:
            paragraphs = [
                _("This is a reminder of your appointment with %(professional)s on %(when)s.")
                % {"professional": _name(appointment.psychologist), "when": when}
            ]
            if appointment.status == AppointmentStatus.PENDING:
                paragraphs.append(_("The professional has not confirmed it yet."))
        texts = {
            "subject": _("Reminder: appointment on %(when)s") % {"when": when},
            "paragraphs": paragraphs,
            "action": _("See the appointment"),
        }
        return _message(texts=texts, recipient=recipient, url=appointment_url(appointment.pk))


def _message(*, texts: dict[str, Any], recipient, url: str | None) -> EmailMultiAlternatives:
    """The text and HTML email of ``texts`` (subject, paragraphs, action) to ``recipient``, in
    the active language."""
    site_name = accounts_settings.SITE_NAME
    context = {
        **texts,
        "site_name": site_name,
        "recipient_name": recipient.get_short_name() or recipient.email,
        "url": url,
    }
    message = EmailMultiAlternatives(
        subject=f"{site_name}: {texts['subject']}",
        body=render_to_string("psico_notifications/email/appointment.txt", context),
        from_email=notifications_settings.FROM_EMAIL or settings.DEFAULT_FROM_EMAIL,
        to=[recipient.email],
    )
    message.attach_alternative(
        render_to_string("psico_notifications/email/appointment.html", context), "text/html"
    )
    return message
