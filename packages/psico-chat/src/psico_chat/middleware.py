"""WebSocket authentication for any Channels host: the Django session, then ``?ticket=<key>``
(single use, see :mod:`psico_chat.tickets`), then the deprecated ``?token=<key>``."""

from __future__ import annotations

import re
from urllib.parse import parse_qs

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from django.contrib.auth.models import AnonymousUser

# DRF's keys are 40 hexadecimal digits (Token.generate_key). Anything else can name no token,
# and is refused before the query: PostgreSQL rejects some text outright (a NUL byte raises
# DataError), which would fail the handshake with a 500 instead of closing with 4401.
_TOKEN_KEY = re.compile(r"[0-9a-f]{40}")


def _query_parameters(query_string: bytes) -> dict[str, list[str]]:
    return parse_qs(query_string.decode("latin-1"))


def _token_from_query(query: dict[str, list[str]]) -> str | None:
    values = query.get("token")
    if not values or not _TOKEN_KEY.fullmatch(values[0]):
        return None
    return values[0]


@database_sync_to_async
def _active_user_for_ticket(key: str):
    from .tickets import ticket_redeem

    return ticket_redeem(key=key)


@database_sync_to_async
def _active_user_for_token(key: str):
    from rest_framework.authtoken.models import Token

    token = Token.objects.select_related("user").filter(key=key).first()
    if token is None or not token.user.is_active:
        return None
    return token.user


class TokenAuthMiddleware(BaseMiddleware):
    """Sets ``scope["user"]`` from a socket ticket given as ``?ticket=<key>`` or, deprecated,
    DRF's authtoken ``Token`` given as ``?token=<key>``.

    A user already authenticated by an outer middleware (the session) is kept; a ticket is
    tried before a token; an unknown, used, expired or inactive one leaves an
    ``AnonymousUser``. Use it inside channels'
    ``AuthMiddlewareStack`` (see :func:`ChatAuthMiddlewareStack`). Keep the token out of the
    server's access logs with :class:`psico_chat.logging.RedactTokenFilter`.
    """

    async def __call__(self, scope, receive, send):
        user = scope.get("user")
        if user is None or not user.is_authenticated:
            query = _query_parameters(scope.get("query_string", b""))
            query_user = None
            if tickets := query.get("ticket"):
                query_user = await _active_user_for_ticket(tickets[0])
            if query_user is None and (key := _token_from_query(query)):
                query_user = await _active_user_for_token(key)
            scope = dict(scope, user=query_user or user or AnonymousUser())
        return await super().__call__(scope, receive, send)


def ChatAuthMiddlewareStack(inner):  # noqa: N802  (named like channels' AuthMiddlewareStack)
    """Session authentication first (cookies, session, user), then the query-string token."""
    return AuthMiddlewareStack(TokenAuthMiddleware(inner))
