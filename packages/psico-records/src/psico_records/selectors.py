"""Reads: an author's notes, the notes' existence for clinic admins, the audit log."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from .models import AuditEvent, ClinicalNote, NoteRevision

# Everything but the content: what a clinic admin may know of a note.
NOTE_METADATA_FIELDS = ("id", "appointment_id", "author_id", "created_at", "updated_at")


def notes_of_author(*, author) -> QuerySet[ClinicalNote]:
    """The notes ``author`` wrote, newest first, with their number of earlier versions."""
    return (
        ClinicalNote.objects.filter(author=author)
        .annotate(revision_count=Count("revisions"))
        .select_related("appointment")
        .order_by("-created_at", "-id")
    )


def notes_metadata() -> QuerySet[ClinicalNote]:
    """Every note without its content (never even read from the database), newest first."""
    return (
        ClinicalNote.objects.only(*NOTE_METADATA_FIELDS)
        .annotate(revision_count=Count("revisions"))
        .order_by("-created_at", "-id")
    )


def note_revisions(*, note: ClinicalNote) -> QuerySet[NoteRevision]:
    """The earlier texts of ``note``, newest first."""
    return NoteRevision.objects.filter(note=note)


def audit_events() -> QuerySet[AuditEvent]:
    """The whole audit log, newest first, with the people joined in."""
    return AuditEvent.objects.select_related("actor", "subject")


def access_log(*, user) -> QuerySet[AuditEvent]:
    """What others did with ``user``'s data: events about them whose actor is someone else."""
    return (
        AuditEvent.objects.filter(subject_id=user.pk, actor__isnull=False)
        .exclude(actor_id=user.pk)
        .select_related("actor")
    )
