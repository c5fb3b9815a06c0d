"""The site's settings, with the chat's per-socket rate limit lifted for bench/chat.py.

The default limit (PSICO_CHAT RATE_LIMIT_MESSAGES per RATE_LIMIT_SECONDS) is meant to stop one
person flooding a conversation; a throughput benchmark has to be allowed past it, or it would
measure the limit. Everything else is the site's configuration, unchanged.
"""

from config.settings import *  # noqa: F403

PSICO_CHAT = {
    **globals().get("PSICO_CHAT", {}),
    "RATE_LIMIT_MESSAGES": 1_000_000,
    "RATE_LIMIT_FRAMES": 1_000_000,
}
