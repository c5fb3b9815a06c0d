"""Stores psico-core's audit announcements, and Django's own login signals, as AuditEvents."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from psico_core.audit import AuditAction, AuditEventData, audit_event

from .services import audit_event_record


def on_audit_event(sender, *, event: AuditEventData, **kwargs) -> None:
    audit_event_record(event=event)


def on_login(sender, *, user, request=None, **kwargs) -> None:
    audit_event(
        action=AuditAction.LOGIN,
        actor=user,
        object_type="user",
        object_id=user.pk,
        subject=user,
        request=request,
    )


def on_login_failed(sender, *, credentials, request=None, **kwargs) -> None:
    # The account tried, when there is one (to see a password being guessed), never the
    # address typed, which may be anyone's.
    User = get_user_model()
    identifier = credentials.get(User.USERNAME_FIELD) or credentials.get("email")
    target = None
    if isinstance(identifier, str) and identifier and "\x00" not in identifier:
        target = (
            User._default_manager.filter(**{f"{User.USERNAME_FIELD}__iexact": identifier})
            .only("pk")
            .first()
        )
    audit_event(
        action=AuditAction.LOGIN_FAILED,
        object_type="user",
        object_id=target.pk if target is not None else "",
        request=request,
    )
