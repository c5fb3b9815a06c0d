"""Writes: clinical notes (create, change with history) and the audit log."""

from __future__ import annotations

import ipaddress
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from psico_core.audit import AuditAction, AuditEventData, audit_event
from psico_core.parsers import has_lone_surrogate
from psico_scheduling.models import Appointment

from .conf import records_settings
from .models import AuditEvent, ClinicalNote, NoteRevision


def _clean_content(content: Any) -> str:
    if not isinstance(content, str):
        raise ValidationError({"content": _("The note must be text.")}, code="invalid")
    text = content.strip()
    if not text:
        raise ValidationError({"content": _("The note cannot be empty.")}, code="blank")
    if "\x00" in text or has_lone_surrogate(text):
        raise ValidationError(
            {"content": _("The note contains characters that cannot be stored.")}, code="invalid"
        )
    limit = records_settings.MAX_NOTE_LENGTH
    if len(text) > limit:
        raise ValidationError(
            {
                "content": ValidationError(
                    _("A note has at most %(limit)d characters (this one has %(length)d)."),
                    code="max_length",
                    params={"limit": limit, "length": len(text)},
                )
            }
        )
    return text


def note_create(*, author, appointment: Appointment, content: str) -> ClinicalNote:
    """A new note by ``author`` on ``appointment``, which must be one of theirs (as its
    professional), whatever its status."""
    if appointment.psychologist_id != getattr(author, "pk", None):
        raise ValidationError(
            {"appointment": _("You can only write notes on your own appointments.")},
            code="not_yours",
        )
    text = _clean_content(content)
    note = ClinicalNote.objects.create(appointment=appointment, author=author, content=text)
    audit_event(
        action=AuditAction.NOTE_CREATE,
        actor=author,
        object_type="note",
        object_id=note.pk,
        subject=appointment.patient,
    )
    return note


@transaction.atomic
def note_update(*, note: ClinicalNote, author, content: str) -> ClinicalNote:
    """Replace the note's text; the text it had is kept as a :class:`NoteRevision`. Only its
    author may; the same text again changes nothing."""
    if note.author_id != getattr(author, "pk", None):
        raise ValidationError(_("Only the author of a note can change it."), code="not_author")
    text = _clean_content(content)
    # Locked, so two simultaneous changes each keep the text the other replaced.
    current = ClinicalNote.objects.select_for_update().get(pk=note.pk)
    if current.content != text:
        NoteRevision.objects.create(
            note=current, content=current.content, written_at=current.updated_at
        )
        current.content = text
        current.updated_at = timezone.now()
        current.save(update_fields=["content", "updated_at"])
    audit_event(
        action=AuditAction.NOTE_UPDATE,
        actor=author,
        object_type="note",
        object_id=note.pk,
        subject=note.appointment.patient,
    )
    note.content, note.updated_at = current.content, current.updated_at
    return note


def _ip_or_none(value: str | None) -> str | None:
    # A server on a Unix socket, or a test scope, may name no IP address: the event is still
    # recorded, without one, rather than the request failing.
    try:
        return str(ipaddress.ip_address(value)) if value else None
    except ValueError:
        return None


def audit_event_record(*, event: AuditEventData) -> AuditEvent:
    """Store one announced audit event (psico_core.audit); its actor and subject may be users
    or their ids."""
    return AuditEvent.objects.create(
        action=event.action,
        actor_id=getattr(event.actor, "pk", event.actor),
        object_type=event.object_type[:40],
        object_id=event.object_id[:64],
        subject_id=getattr(event.subject, "pk", event.subject),
        ip=_ip_or_none(event.client.ip),
        user_agent=event.client.user_agent[:300],
    )
