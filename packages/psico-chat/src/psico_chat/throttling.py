from __future__ import annotations

from rest_framework.throttling import UserRateThrottle

from .conf import chat_settings


class ChatMessageRateThrottle(UserRateThrottle):
    """Per-user limit on sending messages by REST, from the same PSICO_CHAT numbers as sockets."""

    scope = "psico_chat_messages"

    def get_rate(self) -> str:
        return f"{chat_settings.RATE_LIMIT_MESSAGES}/{chat_settings.RATE_LIMIT_SECONDS}s"

    def parse_rate(self, rate) -> tuple[int, int]:
        # DRF's parser only knows "N/unit"; the window here is any number of seconds.
        return chat_settings.RATE_LIMIT_MESSAGES, chat_settings.RATE_LIMIT_SECONDS
