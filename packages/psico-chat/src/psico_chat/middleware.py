"""WebSocket authentication for any Channels host: the Django session, then ``?ticket=<key>``
(single use, see :mod:`psico_chat.tickets`), then the deprecated ``?token=<key>``."""

from __future__ import annotations

from urllib.parse import parse_qs

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from django.contrib.auth.models import AnonymousUser


def _query_parameters(query_string: bytes) -> dict[str, list[str]]:
    return parse_qs(query_string.decode("latin-1"))


def _token_from_query(query: dict[str, list[str]]) -> str | None:
    values = query.get("token")
    return values[0] if values else None


@database_sync_to_async
def _active_user_for_ticket(key: str):
    from .tickets import ticket_redeem

    return ticket_redeem(key=key)


@database_sync_to_async
def _active_user_for_token(key: str):
    # Accounts' one resolver of API keys: it refuses a malformed key before any query
    # (PostgreSQL rejects some text, such as a NUL byte, which would fail the handshake with a
    # 500 instead of closing with 4401), and revoked, expired and inactive ones.
    from psico_accounts.services import token_authenticate

    token = token_authenticate(key=key)
    return token.user if token is not None else None


class TokenAuthMiddleware(BaseMiddleware):
    """Sets ``scope["user"]`` from a socket ticket given as ``?ticket=<key>`` or, deprecated,
    an API token (psico_accounts' device token) given as ``?token=<key>``.

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
