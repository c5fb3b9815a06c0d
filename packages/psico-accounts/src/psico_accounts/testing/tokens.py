"""API tokens for tests: a signed-in device without going through the login endpoint."""

from __future__ import annotations


def token_key_for(user, *, user_agent: str = "") -> str:
    """The key of a new device token of ``user`` (as a login would issue it)."""
    from ..services import token_create

    return token_create(user=user, user_agent=user_agent)[1]
