"""Announcing auditable actions without knowing who records them.

A package calls :func:`audit_event` where something worth auditing happens (a login, a note
read, a chat history read...); whatever app keeps the audit log (psico-records) connects to
:data:`audit_event_sent`. Without a receiver nothing is stored and nothing fails, so the
packages stay installable alone.

Only what identifies an action is announced, never content: who (``actor``), what
(``action``, ``object_type``, ``object_id``), whose data it is (``subject``) and from which
client. The client is the connection's address (``REMOTE_ADDR``, which the ASGI server sets from
a trusted proxy's ``X-Forwarded-For``, as for the throttles) and its user agent.

Services have no request at hand: :class:`AuditRequestMiddleware` keeps the current request in a
context variable, so an event announced deep in a service still knows its client and, when no
actor is named, its signed-in user.
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.db import models
from django.dispatch import Signal
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    """What an audit event records. Owned here so that every package names actions alike."""

    LOGIN = "auth.login", _("Login")
    LOGIN_FAILED = "auth.login_failed", _("Failed login")
    PASSWORD_CHANGE = "auth.password_change", _("Password change")
    PASSWORD_RESET = "auth.password_reset", _("Password reset")
    TOKEN_REVOKE = "auth.token_revoke", _("Token revocation")
    NOTE_CREATE = "note.create", _("Clinical note written")
    NOTE_READ = "note.read", _("Clinical note read")
    NOTE_UPDATE = "note.update", _("Clinical note changed")
    NOTE_LIST = "note.list", _("Clinical notes listed")
    NOTE_HISTORY_READ = "note.history_read", _("Clinical note history read")
    CHAT_HISTORY_READ = "chat.history_read", _("Chat history read")
    ADMIN_USER_READ = "admin.user_read", _("User read by an administrator")
    ADMIN_USER_LIST = "admin.user_list", _("Users listed by an administrator")
    ADMIN_APPOINTMENT_READ = "admin.appointment_read", _("Appointment read by an administrator")
    ADMIN_APPOINTMENT_LIST = "admin.appointment_list", _("Appointments listed by an administrator")
    ADMIN_CHAT_READ = "admin.chat_read", _("Chat messages read in the Django admin")


# Sent with ``event`` (an AuditEventData). Receivers must not raise for a well-formed event.
audit_event_sent = Signal()

_current_request: contextvars.ContextVar[Any] = contextvars.ContextVar(
    "psico_audit_request", default=None
)

USER_AGENT_MAX_LENGTH = 300


@dataclass(frozen=True)
class AuditClient:
    ip: str | None
    user_agent: str


@dataclass(frozen=True)
class AuditEventData:
    action: str
    actor: Any
    object_type: str
    object_id: str
    subject: Any
    client: AuditClient


def client_from_request(request) -> AuditClient:
    """The client of an HTTP request (DRF's or Django's)."""
    meta = getattr(request, "META", {})
    return AuditClient(
        ip=meta.get("REMOTE_ADDR") or None,
        user_agent=str(meta.get("HTTP_USER_AGENT", ""))[:USER_AGENT_MAX_LENGTH],
    )


def client_from_scope(scope) -> AuditClient:
    """The client of an ASGI connection (a WebSocket's scope)."""
    client = scope.get("client") or (None, None)
    agent = b""
    for name, value in scope.get("headers") or ():
        if name == b"user-agent":
            agent = value
    return AuditClient(
        ip=client[0] or None,
        user_agent=agent.decode("latin-1")[:USER_AGENT_MAX_LENGTH],
    )


def current_request():
    """The request being served in this context (set by :class:`AuditRequestMiddleware`)."""
    return _current_request.get()


def audit_event(
    *,
    action: AuditAction | str,
    actor=None,
    object_type: str = "",
    object_id: Any = "",
    subject=None,
    request=None,
    client: AuditClient | None = None,
) -> None:
    """Announce an auditable action.

    ``actor`` defaults to the signed-in user of ``request`` (itself defaulting to the request
    being served); ``subject`` is the user (or their id) whose data was touched, when there is
    one (what a patient's access log lists). Never pass content.
    """
    request = request if request is not None else current_request()
    if client is None:
        client = client_from_request(request) if request is not None else AuditClient(None, "")
    if actor is None and request is not None:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            actor = user
    audit_event_sent.send(
        sender=AuditEventData,
        event=AuditEventData(
            action=str(action),
            actor=actor,
            object_type=object_type,
            object_id="" if object_id is None else str(object_id),
            subject=subject,
            client=client,
        ),
    )


class AuditRequestMiddleware:
    """Keeps the request being served where :func:`audit_event` finds it (sync and async)."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request):
        if self.is_async:
            return self.__acall__(request)
        token = _current_request.set(request)
        try:
            return self.get_response(request)
        finally:
            _current_request.reset(token)

    async def __acall__(self, request):
        token = _current_request.set(request)
        try:
            return await self.get_response(request)
        finally:
            _current_request.reset(token)
