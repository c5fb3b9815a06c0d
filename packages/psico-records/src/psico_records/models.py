from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from psico_core.audit import AuditAction
from psico_core.sealing import SealedTextField
from psico_scheduling.models import Appointment


class ClinicalNote(models.Model):
    """A professional's note on one of their appointments, for their eyes only.

    The content is sealed at rest (a dump of the database shows a Fernet token). Notes are never
    deleted; each change keeps the text it replaced as a :class:`NoteRevision`.
    """

    appointment = models.ForeignKey(
        Appointment,
        on_delete=models.PROTECT,
        related_name="clinical_notes",
        verbose_name=_("appointment"),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="clinical_notes",
        verbose_name=_("author"),
    )
    content = SealedTextField(_("content"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("clinical note")
        verbose_name_plural = _("clinical notes")
        indexes = [models.Index(fields=["author", "appointment"], name="psico_records_author_idx")]

    def __str__(self) -> str:
        return f"#{self.pk} · {self.appointment_id}"


class NoteRevision(models.Model):
    """An earlier text of a note (sealed too), as it was from ``written_at`` until replaced."""

    note = models.ForeignKey(
        ClinicalNote,
        on_delete=models.PROTECT,
        related_name="revisions",
        verbose_name=_("note"),
    )
    content = SealedTextField(_("content"))
    written_at = models.DateTimeField(_("written at"))
    replaced_at = models.DateTimeField(_("replaced at"), auto_now_add=True)

    class Meta:
        ordering = ["-written_at", "-id"]
        verbose_name = _("note revision")
        verbose_name_plural = _("note revisions")

    def __str__(self) -> str:
        return f"#{self.pk} · note {self.note_id}"


class AppendOnlyError(Exception):
    """An audit event was about to be changed or deleted."""


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("Audit events are never changed.")

    def delete(self):
        raise AppendOnlyError("Audit events are never deleted.")


class AuditEvent(models.Model):
    """Who did what to which object, when and from which client: never content.

    Append-only: saving an existing event, deleting one and queryset updates or deletes raise;
    on PostgreSQL a trigger refuses UPDATE and DELETE as well (migration 0002). The users are
    referenced without a database constraint, so an event outlives anything done to them.
    """

    occurred_at = models.DateTimeField(_("occurred at"), default=timezone.now, db_index=True)
    action = models.CharField(_("action"), max_length=40, choices=AuditAction.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    object_type = models.CharField(_("object type"), max_length=40, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    # Whose data it was, when one user's: what that user's access log lists.
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("subject"),
    )
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=300, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [
            models.Index(fields=["subject", "occurred_at"], name="psico_audit_subject_idx"),
            models.Index(fields=["actor", "occurred_at"], name="psico_audit_actor_idx"),
            models.Index(fields=["object_type", "object_id"], name="psico_audit_object_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M:%S} {self.action} {self.object_type}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise AppendOnlyError("Audit events are never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Audit events are never deleted.")
