"""The channels-redis layer as the chat's sockets need it: ``CHANNEL_LAYERS["default"]``.

Used in settings, so it imports nothing of Django's apps; ``channels-redis`` (and with it
``redis``) must be installed.
"""

from __future__ import annotations

from typing import Any

# channels-redis waits for a socket's next event with a 5-second BZPOPMIN, and redis-py (8.x)
# gives every read a 5-second socket timeout by default: a busy process reads the empty answer
# just too late, and an idle chat socket would close with 1013 now and then.
READ_TIMEOUT_SECONDS = 10


def redis_channel_layer(url: str) -> dict[str, Any]:
    """The ``CHANNEL_LAYERS["default"]`` entry for channels-redis at ``url``.

    Beside the read timeout, each command is tried once more on a connection error. After
    Redis restarts, the pool still holds connections to the old server; redis-py only finds
    out when a command fails on one, and without a retry (its asyncio connections have none
    by default) that failure reaches the socket, which closes with 1013 although Redis is
    back. The retry reconnects that connection and runs the command again.
    """
    from redis.asyncio.retry import Retry
    from redis.backoff import NoBackoff
    from redis.exceptions import ConnectionError as RedisConnectionError

    return {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {
            "hosts": [
                {
                    "address": url,
                    "socket_timeout": READ_TIMEOUT_SECONDS,
                    "retry": Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,)),
                }
            ]
        },
    }
