"""The chat's part of a user's data export and erasure (psico_accounts.personal_data): the
messages they sent; erasing the user replaces their text."""

from __future__ import annotations

from .models import ChatMessage

# Stored in place of an erased user's messages (data, not a message to translate); the
# database refuses empty content.
ERASED_MESSAGE = "[mensaje eliminado]"


def messages_export(sender, *, user, **kwargs) -> tuple[str, list[dict]]:
    messages = ChatMessage.objects.filter(sender=user).order_by("created_at", "pk")
    return "chat_messages", [
        {
            "id": message.pk,
            "appointment": message.appointment_id,
            "message": message.content,
            "created_at": message.created_at,
        }
        for message in messages
    ]


def messages_erase(sender, *, user, **kwargs) -> None:
    ChatMessage.objects.filter(sender=user).update(content=ERASED_MESSAGE)
