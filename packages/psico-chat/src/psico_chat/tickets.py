"""Single-use socket tickets: a short-lived secret for the WebSocket URL instead of an API token.

Browsers cannot set headers on a WebSocket handshake, so a client outside the session's
reach has to authenticate in the URL, which servers and proxies log. A ticket there is worth
little: it opens one socket, once, within ``TICKET_TTL_SECONDS``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets

from django.db import transaction
from django.utils import timezone

from .conf import chat_settings
from .models import ChatTicket

# secrets.token_urlsafe(32): 43 characters of the URL-safe base64 alphabet. Anything else can
# name no ticket and is refused before any query.
TICKET_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}")


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode("ascii")).hexdigest()


def ticket_issue(*, user) -> str:
    """Create a ticket for ``user`` and return its key, which is shown once and never stored.

    Expired tickets (of anyone) are deleted on the way, so the table stays as small as the
    number of tickets issued within one lifetime.
    """
    now = timezone.now()
    key = secrets.token_urlsafe(32)
    with transaction.atomic():
        ChatTicket.objects.filter(expires_at__lte=now).delete()
        ChatTicket.objects.create(
            key_hash=_hash(key),
            user=user,
            expires_at=now + dt.timedelta(seconds=chat_settings.TICKET_TTL_SECONDS),
        )
    return key


def ticket_redeem(*, key: str):
    """The active user ``key`` was issued to, or None; a ticket is accepted at most once.

    Unknown, malformed, expired and used tickets, and tickets of a deactivated user, are all
    None. The UPDATE that marks it used is the check, so concurrent redemptions (even in
    other processes) cannot both win.
    """
    if not isinstance(key, str) or not TICKET_SHAPE.fullmatch(key):
        return None
    now = timezone.now()
    key_hash = _hash(key)
    claimed = ChatTicket.objects.filter(
        key_hash=key_hash, used_at__isnull=True, expires_at__gt=now
    ).update(used_at=now)
    if not claimed:
        return None
    ticket = ChatTicket.objects.select_related("user").get(key_hash=key_hash)
    return ticket.user if ticket.user.is_active else None
