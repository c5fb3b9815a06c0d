"""A health probe for the channel layer, for the host's ``/healthz``."""

from __future__ import annotations

import asyncio
import logging
import secrets

from channels.layers import get_channel_layer

from .conf import chat_settings

logger = logging.getLogger(__name__)


async def channel_layer_ok(*, timeout: float | None = None) -> bool:
    """Async: True when a message sent to a fresh channel of the default layer comes back.

    Gives up after ``timeout`` seconds (default ``PSICO_CHAT["CHANNEL_LAYER_TIMEOUT"]``).
    False, never an exception, when no layer is configured or it does not answer in time.
    Call it from sync code with ``asgiref.sync.async_to_sync(channel_layer_ok)()``.
    """
    layer = get_channel_layer()
    if layer is None:
        return False
    nonce = secrets.token_hex(8)
    try:
        async with asyncio.timeout(timeout or chat_settings.CHANNEL_LAYER_TIMEOUT):
            channel = await layer.new_channel()
            await layer.send(channel, {"type": "psico_chat.health", "nonce": nonce})
            message = await layer.receive(channel)
    except Exception:
        logger.warning("The channel layer failed its health check.", exc_info=True)
        return False
    return message.get("nonce") == nonce
