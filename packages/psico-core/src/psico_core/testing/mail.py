"""A real SMTP server for tests (aiosmtpd, the ``testing`` extra) and the settings that send
Django's email to it.

Django's in-memory outbox shows only what this process sends; an email sent by another process
(a ``db_worker``), or a mail server that goes away, needs a server that talks SMTP::

    server = SMTPServer()
    server.start()
    with override_settings(**smtp_email_settings(server.port)):
        send_mail("Hola", "...", None, ["ana@psico.bo"])
    assert server.to("ana@psico.bo")
    server.stop()

The ``smtp_server`` fixture of the psico_core pytest plugin does this for a test.
"""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage
from typing import TYPE_CHECKING, Any

import django

from .redis_server import free_port

if TYPE_CHECKING:
    from aiosmtpd.controller import Controller

__all__ = ["SMTP_BACKEND", "Mailbox", "SMTPServer", "smtp_email_settings"]

SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
HOST = "127.0.0.1"


def smtp_email_settings(port: int) -> dict[str, Any]:
    """Settings that send every email to the SMTP server on 127.0.0.1:``port``: ``MAILERS`` from
    Django 6.1, the ``EMAIL_*`` settings before. Plain values, so a settings module may use it."""
    if django.VERSION >= (6, 1):
        options = {"host": HOST, "port": port, "timeout": 10}
        return {"MAILERS": {"default": {"BACKEND": SMTP_BACKEND, "OPTIONS": options}}}
    return {
        "EMAIL_BACKEND": SMTP_BACKEND,
        "EMAIL_HOST": HOST,
        "EMAIL_PORT": port,
        "EMAIL_TIMEOUT": 10,
    }


class Mailbox:
    """An aiosmtpd handler that keeps every message it receives, parsed."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)  # what the default policy builds
        self.messages.append(message)
        return "250 Message accepted for delivery"


class SMTPServer:
    """A real SMTP server (aiosmtpd) on a port of its own, fixed when it is created, so a test
    may stop it (connections are refused) and start it again; what it received is kept."""

    def __init__(self) -> None:
        self.mailbox = Mailbox()
        self.port = free_port()
        self.controller: Controller | None = None

    @property
    def messages(self) -> list[EmailMessage]:
        """Every message received, in order."""
        return self.mailbox.messages

    def to(self, address: str) -> list[EmailMessage]:
        """The messages whose ``To`` is ``address``."""
        return [message for message in self.messages if message["To"] == address]

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        self.controller = Controller(self.mailbox, hostname=HOST, port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None
