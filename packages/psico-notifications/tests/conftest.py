import pytest
from icalendar import Calendar
from psico_scheduling.tasks import relay_appointment_events

# smtp_server (a real SMTP server that this process's email goes to) and database_tasks are
# fixtures of psico_core's pytest plugin (psico_core.testing).


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
