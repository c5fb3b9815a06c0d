from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from psico_core.sealing import SealedTextField
from psico_scheduling.models import Appointment

from .conf import CONTENT_MAX_LENGTH


class ChatMessage(models.Model):
    """One message of an appointment's chat, between its patient and its professional.

    Ids grow in the order messages become visible within one appointment (sending locks the
    appointment row), so an id is a safe cursor for history and for resuming after a drop.
    """

    appointment = models.ForeignKey(
        Appointment,
        on_delete=models.CASCADE,
        related_name="chat_messages",
        verbose_name=_("appointment"),
        # The (appointment, id) index below serves every lookup by appointment.
        db_index=False,
    )
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="chat_messages_sent",
        verbose_name=_("sender"),
    )
    # Sealed at rest (psico_core.sealing): the column holds a Fernet token, never the text, so
    # nothing may filter on it in SQL. The empty text is stored as itself, which keeps the
    # check constraint below meaningful.
    content = SealedTextField(_("content"), max_length=CONTENT_MAX_LENGTH)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # A chat has two participants, so every message has exactly one recipient: the other one.
    read_at = models.DateTimeField(
        _("read by the recipient at"),
        null=True,
        blank=True,
    )
    # Chosen by the sending client so a resend (after a dropped connection) is recognised:
    # unique per sender across all their chats, like the UUID it is.
    client_id = models.UUIDField(_("client id"), null=True, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("chat message")
        verbose_name_plural = _("chat messages")
        indexes = [
            models.Index(fields=["appointment", "id"], name="psico_chat_appointment_id_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(content=""), name="psico_chat_message_content_not_empty"
            ),
            # Partial, so messages without one never collide (SQLite and PostgreSQL alike);
            # its index serves the lookup of a resend.
            models.UniqueConstraint(
                fields=["sender", "client_id"],
                condition=Q(client_id__isnull=False),
                name="psico_chat_message_sender_client_id_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.sender} · {self.created_at:%Y-%m-%d %H:%M}"


class ChatTicket(models.Model):
    """A single-use, short-lived pass for opening a chat socket (``?ticket=<key>``).

    Only the SHA-256 of the key is stored, so a leaked table opens nothing; redeeming is one
    conditional UPDATE (unused and unexpired), so two processes can never both accept it.
    """

    key_hash = models.CharField(_("key hash"), max_length=64, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="chat_tickets",
        verbose_name=_("user"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"), db_index=True)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("chat ticket")
        verbose_name_plural = _("chat tickets")

    def __str__(self) -> str:
        return f"#{self.pk} {self.user} · {self.expires_at:%Y-%m-%d %H:%M:%S}"
