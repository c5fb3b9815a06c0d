"""Where a session happens, in the calendar entries its two participants get: the emailed
invitation and the private feed carry LOCATION (and CONFERENCE for an online session)."""

import datetime as dt
from urllib.parse import urlsplit

import pytest
from icalendar import Calendar
from psico_accounts.testing.factories import PatientFactory, ProfessionalFactory
from psico_notifications.invitations import appointment_uid
from psico_scheduling import services
from psico_scheduling.testing.factories import AppointmentFactory, weekly_schedule_for

from .conftest import invitation_of

pytestmark = pytest.mark.django_db

MEET = "https://meet.example.com/psico-sesion"


@pytest.fixture
def people():
    professional = ProfessionalFactory(email="lucia@psico.bo", language="es")
    weekly_schedule_for(professional)
    return PatientFactory(email="ana@psico.bo", language="en"), professional


def feed_events(api_client_for, user) -> dict[str, object]:
    url = api_client_for(user).get("/api/calendar/feed/").json()["url"]
    response = api_client_for(None).get(urlsplit(url).path)
    assert response.status_code == 200
    calendar = Calendar.from_ical(response.content.decode())
    return {str(event["uid"]): event for event in calendar.walk("VEVENT")}


def test_the_confirmation_invitation_carries_the_meeting_url(
    people, next_monday, book, relay, smtp_server
):
    patient, professional = people
    appointment = book(patient, professional, next_monday, "10:00")
    services.appointment_details_update(
        appointment=appointment, by=professional, modality="online", meeting_url=MEET
    )
    services.appointment_confirm(appointment=appointment, by=professional)
    relay()

    confirmation = smtp_server.messages[-1]
    assert confirmation["To"] == "ana@psico.bo"
    [event] = invitation_of(confirmation).walk("VEVENT")
    assert str(event["location"]) == MEET
    assert str(event["conference"]) == MEET
    assert event["conference"].params["VALUE"] == "URI"


def test_the_feed_shows_each_sessions_place_to_both_participants(people, api_client_for):
    patient, professional = people
    start = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0)
    in_person = AppointmentFactory(
        patient=patient,
        psychologist=professional,
        start=start + dt.timedelta(days=2),
        location="Consultorio 3, Calle 21 de Calacoto",
    )
    online = AppointmentFactory(
        patient=patient,
        psychologist=professional,
        start=start + dt.timedelta(days=3),
        modality="online",
        meeting_url=MEET,
    )
    nowhere = AppointmentFactory(
        patient=patient, psychologist=professional, start=start + dt.timedelta(days=4)
    )

    for user in (patient, professional):
        events = feed_events(api_client_for, user)
        assert str(events[appointment_uid(in_person.pk)]["location"]) == (
            "Consultorio 3, Calle 21 de Calacoto"
        )
        assert "conference" not in events[appointment_uid(in_person.pk)]
        assert str(events[appointment_uid(online.pk)]["location"]) == MEET
        assert str(events[appointment_uid(online.pk)]["conference"]) == MEET
        assert "location" not in events[appointment_uid(nowhere.pk)]

    stranger = PatientFactory()
    assert feed_events(api_client_for, stranger) == {}
