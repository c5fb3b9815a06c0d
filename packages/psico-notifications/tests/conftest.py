import email
import email.policy
import socket

import pytest
from aiosmtpd.controller import Controller
from icalendar import Calendar
from psico_scheduling.tasks import relay_appointment_events

from tests.worker_settings import smtp_email_settings


class Mailbox:
    """An aiosmtpd handler that keeps every message it receives."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        self.messages.append(
            email.message_from_bytes(envelope.content, policy=email.policy.default)
        )
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SMTPServer:
    """A real SMTP server (aiosmtpd) on a fixed port, which a test may stop and start again."""

    def __init__(self) -> None:
        self.mailbox = Mailbox()
        self.port = _free_port()
        self.controller: Controller | None = None

    @property
    def messages(self) -> list[email.message.EmailMessage]:
        return self.mailbox.messages

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [message for message in self.messages if message["To"] == address]

    def start(self) -> None:
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp_server(settings):
    """A running SMTP server that this process's emails are sent to."""
    server = SMTPServer()
    server.start()
    for name, value in smtp_email_settings(server.port).items():
        setattr(settings, name, value)
    yield server
    server.stop()


@pytest.fixture
def relay(db):
    """Relays the outbox now, in this process (what the worker does after each commit)."""
    return relay_appointment_events.call


def invitation_of(message) -> Calendar | None:
    """The parsed ``.ics`` attached to ``message``, or None."""
    for part in message.iter_attachments():
        if part.get_content_type() == "text/calendar":
            content = part.get_content()
            return Calendar.from_ical(content if isinstance(content, str) else content.decode())
    return None
