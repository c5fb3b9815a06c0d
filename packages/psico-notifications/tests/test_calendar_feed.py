"""Private calendar feeds: ``/api/calendar/feed/``, ``feed/rotate/`` and ``<secret>.ics``."""

from __future__ import annotations

import datetime as dt
import logging
import subprocess
import sys
from urllib.parse import urlsplit

import ics
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from icalendar import Calendar
from psico_accounts.testing.factories import AdminFactory, PatientFactory, ProfessionalFactory
from psico_notifications.calendar_feed import calendar_feed_of
from psico_notifications.calendar_logging import RedactCalendarSecretFilter, redact_calendar_secret
from psico_notifications.invitations import appointment_uid
from psico_notifications.models import CalendarFeed
from psico_scheduling.models import AppointmentStatus
from psico_scheduling.services import appointment_cancel
from psico_scheduling.testing.factories import AppointmentFactory, weekly_schedule_for

pytestmark = pytest.mark.django_db

FEED = "/api/calendar/feed/"
ROTATE = "/api/calendar/feed/rotate/"


@pytest.fixture(autouse=True)
def fresh_throttles():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def feed_path(client) -> str:
    response = client.get(FEED)
    assert response.status_code == 200, response.content
    url = response.json()["url"]
    assert url.startswith("http://testserver/api/calendar/") and url.endswith(".ics")
    return urlsplit(url).path


def fetch(api_client_for, path: str, **headers):
    """The feed as a calendar app fetches it: no credentials."""
    return api_client_for(None).get(path, **headers)


def parsed(response) -> Calendar:
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return Calendar.from_ical(response.content.decode("utf-8"))


def events_of(response) -> dict[str, object]:
    return {str(event["uid"]): event for event in parsed(response).walk("VEVENT")}


def uid(appointment) -> str:
    return appointment_uid(appointment.pk)


def at(days: int, hour: int = 10) -> dt.datetime:
    day = timezone.localdate() + dt.timedelta(days=days)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


@pytest.fixture
def people(db):
    professional = ProfessionalFactory(first_name="Lucía", last_name="Mamani")
    ana = PatientFactory(
        first_name="Ana", last_name="Quispe", email="ana.quispe@example.com", phone="70000001"
    )
    bruno = PatientFactory(first_name="Bruno", last_name="Choque", email="bruno@example.com")
    return {"professional": professional, "ana": ana, "bruno": bruno}


def session(patient, professional, start, **extra):
    return AppointmentFactory(
        patient=patient,
        psychologist=professional,
        start=start,
        end=start + dt.timedelta(hours=1),
        reason="Ansiedad en el trabajo",
        **extra,
    )


def test_anonymous_gets_401_and_no_feed(api_client_for):
    client = api_client_for(None)
    assert client.get(FEED).status_code == 401
    assert client.post(ROTATE).status_code == 401
    assert not CalendarFeed.objects.exists()


@pytest.mark.parametrize("factory", [PatientFactory, ProfessionalFactory, AdminFactory])
def test_every_role_gets_one_stable_feed_url(api_client_for, factory):
    user = factory()
    client = api_client_for(user)

    first, second = feed_path(client), feed_path(client)

    assert first == second
    feed = CalendarFeed.objects.get(user=user)
    assert first == f"/api/calendar/{feed.secret}.ics"
    assert len(feed.secret) >= 43


def test_the_professional_sees_every_session_with_first_names_only(api_client_for, people):
    professional, ana, bruno = people["professional"], people["ana"], people["bruno"]
    first = session(ana, professional, at(3), status=AppointmentStatus.CONFIRMED)
    second = session(bruno, professional, at(4))
    other = session(PatientFactory(first_name="Carla"), ProfessionalFactory(), at(3, 15))

    response = fetch(api_client_for, feed_path(api_client_for(professional)))
    events = events_of(response)

    assert set(events) == {uid(first), uid(second)}
    assert str(events[uid(first)]["summary"]) == "Sesión con Ana"
    assert str(events[uid(first)]["status"]) == "CONFIRMED"
    assert str(events[uid(second)]["summary"]) == "Sesión con Bruno"
    assert str(events[uid(second)]["status"]) == "TENTATIVE"
    text = response.content.decode()
    for private in ("Quispe", "Choque", "ana.quispe@", "bruno@", "70000001", "Ansiedad", "Carla"):
        assert private not in text
    assert f"appointment-{other.pk}@" not in text


def test_the_patient_sees_their_sessions_with_the_professional_name(api_client_for, people):
    professional, ana = people["professional"], people["ana"]
    mine = session(ana, professional, at(2))
    session(people["bruno"], professional, at(2, 15))

    response = fetch(api_client_for, feed_path(api_client_for(ana)))
    events = events_of(response)

    assert list(events) == [uid(mine)]
    event = events[uid(mine)]
    assert str(event["summary"]) == "Sesión con Lucía Mamani"
    assert event.decoded("dtstart") == mine.start
    assert event.decoded("dtend") == mine.end
    # The professional's time zone, with its VTIMEZONE.
    assert event["dtstart"].params["TZID"] == "America/La_Paz"
    assert [str(zone["tzid"]) for zone in parsed(response).walk("VTIMEZONE")] == ["America/La_Paz"]
    text = response.content.decode()
    assert "Bruno" not in text and professional.email not in text and "Ansiedad" not in text


def test_an_admin_feed_is_a_valid_empty_calendar(api_client_for, people):
    session(people["ana"], people["professional"], at(2))
    response = fetch(api_client_for, feed_path(api_client_for(AdminFactory())))
    assert parsed(response).walk("VEVENT") == []


def test_the_window_and_the_cancelled_sessions(api_client_for, people, settings, book, next_monday):
    settings.PSICO_NOTIFICATIONS = {"CALENDAR_FEED_DAYS_BACK": 30, "CALENDAR_FEED_DAYS_AHEAD": 60}
    professional, ana = people["professional"], people["ana"]
    weekly_schedule_for(professional)
    recent = session(ana, professional, at(-29), status=AppointmentStatus.COMPLETED)
    session(ana, professional, at(-31), status=AppointmentStatus.COMPLETED)
    session(ana, professional, at(61))
    soon = session(ana, professional, at(59))
    # Booked through the service (sequence 0), then cancelled (sequence 1).
    cancelled = book(ana, professional, next_monday, "09:00")
    appointment_cancel(appointment=cancelled, by=ana, reason="Viaje")

    events = events_of(fetch(api_client_for, feed_path(api_client_for(professional))))

    assert set(events) == {uid(appointment) for appointment in (recent, soon, cancelled)}
    gone = events[uid(cancelled)]
    assert str(gone["status"]) == "CANCELLED"
    # The cancellation is the appointment's second change: calendars apply the newer copy.
    assert gone["sequence"] == 1
    assert events[uid(soon)]["sequence"] == 0


# ics 0.7 passes re.split's maxsplit positionally, which Python 3.13 deprecates.
@pytest.mark.filterwarnings("ignore:'maxsplit' is passed as positional argument:DeprecationWarning")
def test_the_feed_parses_with_a_second_parser(api_client_for, people):
    professional = people["professional"]
    first = session(people["ana"], professional, at(1))
    session(people["bruno"], professional, at(1, 15), status=AppointmentStatus.CONFIRMED)

    response = fetch(api_client_for, feed_path(api_client_for(professional)))
    calendar = ics.Calendar(response.content.decode("utf-8"))

    assert sorted(event.name for event in calendar.events) == ["Sesión con Ana", "Sesión con Bruno"]
    imported = next(event for event in calendar.events if event.name == "Sesión con Ana")
    assert imported.uid == uid(first)
    assert imported.begin.datetime == first.start
    assert imported.end.datetime == first.end


def test_the_feed_is_in_its_owners_language(api_client_for, people):
    professional = people["professional"]
    professional.language = "en"
    professional.save(update_fields=["language"])
    session(people["ana"], professional, at(1))

    response = fetch(
        api_client_for, feed_path(api_client_for(professional)), HTTP_ACCEPT_LANGUAGE="es"
    )

    [event] = parsed(response).walk("VEVENT")
    assert str(event["summary"]) == "Session with Ana"


def test_rotating_makes_the_old_url_404_at_once(api_client_for, people):
    ana = people["ana"]
    session(ana, people["professional"], at(2))
    client = api_client_for(ana)
    old = feed_path(client)
    assert fetch(api_client_for, old).status_code == 200

    rotated = client.post(ROTATE)

    assert rotated.status_code == 200
    new = urlsplit(rotated.json()["url"]).path
    assert new != old
    assert feed_path(client) == new
    gone = fetch(api_client_for, old)
    assert gone.status_code == 404
    assert gone.json() == {"detail": "No encontrado."}
    assert fetch(api_client_for, new).status_code == 200
    assert CalendarFeed.objects.get(user=ana).rotated_at is not None


def test_rotating_before_any_feed_creates_one(api_client_for, patient):
    response = api_client_for(patient).post(ROTATE)
    assert response.status_code == 200
    assert (
        urlsplit(response.json()["url"]).path
        == f"/api/calendar/{calendar_feed_of(user=patient).secret}.ics"
    )


def test_get_and_post_only(api_client_for, patient):
    client = api_client_for(patient)
    assert client.post(FEED).status_code == 405
    assert client.get(ROTATE).status_code == 405
    path = feed_path(client)
    assert api_client_for(None).post(path).status_code == 405


def test_etag_and_304(api_client_for, people):
    ana = people["ana"]
    appointment = session(ana, people["professional"], at(2))
    path = feed_path(api_client_for(ana))

    first = fetch(api_client_for, path)
    etag = first["ETag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    assert "private" in first["Cache-Control"]
    again = fetch(api_client_for, path, HTTP_IF_NONE_MATCH=etag)
    assert (again.status_code, again.content, again["ETag"]) == (304, b"", etag)
    assert fetch(api_client_for, path, HTTP_IF_NONE_MATCH='"other", ' + etag).status_code == 304
    assert fetch(api_client_for, path, HTTP_IF_NONE_MATCH='"other"').status_code == 200
    assert fetch(api_client_for, path).content == first.content

    appointment_cancel(appointment=appointment, by=ana, reason="Viaje")

    changed = fetch(api_client_for, path, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert changed["ETag"] != etag


def test_someone_elses_feed_shows_only_their_data(api_client_for, people):
    professional, ana, bruno = people["professional"], people["ana"], people["bruno"]
    mine = session(ana, professional, at(2))
    theirs = session(bruno, professional, at(3))

    ana_events = events_of(fetch(api_client_for, feed_path(api_client_for(ana))))
    bruno_events = events_of(fetch(api_client_for, feed_path(api_client_for(bruno))))

    assert list(ana_events) == [uid(mine)]
    assert list(bruno_events) == [uid(theirs)]


def test_an_inactive_users_feed_is_404(api_client_for, patient):
    path = feed_path(api_client_for(patient))
    patient.is_active = False
    patient.save(update_fields=["is_active"])
    assert fetch(api_client_for, path).status_code == 404


@pytest.mark.parametrize(
    "secret",
    [
        "x" * 20_000,
        "A" * 42,
        "A" * 44,
        "٣" * 43,  # Arabic-Indic digits
        "１" * 43,  # fullwidth digits
        "é" * 43,
        "%ED%A0%80" + "A" * 42,  # a lone surrogate, percent-encoded
        "%00" + "A" * 42,
        "' OR 1=1 --" + "A" * 32,
        "feed",
    ],
)
def test_hostile_secrets_are_404_never_5xx(
    api_client_for, patient, secret, django_assert_num_queries
):
    calendar_feed_of(user=patient)
    with django_assert_num_queries(0):
        response = fetch(api_client_for, f"/api/calendar/{secret}.ics")
    assert response.status_code == 404, response.content
    assert response.json() == {"detail": "No encontrado."}


def test_an_unknown_well_formed_secret_is_404_after_one_query(
    api_client_for, django_assert_num_queries
):
    with django_assert_num_queries(1):
        response = fetch(api_client_for, "/api/calendar/" + "A" * 43 + ".ics")
    assert response.status_code == 404


def test_the_query_count_does_not_grow_with_the_appointments(api_client_for, people):
    professional = people["professional"]
    path = feed_path(api_client_for(professional))

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert fetch(api_client_for, path).status_code == 200
        return len(captured)

    session(people["ana"], professional, at(1))
    few = queries()
    for day in range(2, 12):
        appointment = session(PatientFactory(), ProfessionalFactory(), at(day))
        session(PatientFactory(), professional, at(day))
        appointment_cancel(appointment=appointment, by=appointment.patient, reason="x")
    assert few == queries() == 2


def test_the_feed_is_throttled_per_feed(api_client_for, people, settings):
    settings.PSICO_NOTIFICATIONS = {"CALENDAR_FEED_THROTTLE_RATE": "2/hour"}
    ana_path = feed_path(api_client_for(people["ana"]))
    bruno_path = feed_path(api_client_for(people["bruno"]))

    assert [fetch(api_client_for, ana_path).status_code for _ in range(3)] == [200, 200, 429]
    # Another feed, from the same address (a calendar service fetches many), is not held back.
    assert fetch(api_client_for, bruno_path).status_code == 200


def test_the_secret_never_reaches_the_logs(api_client_for, people, settings, caplog):
    from django.core.cache import cache

    settings.PSICO_NOTIFICATIONS = {"CALENDAR_FEED_THROTTLE_RATE": "1/hour"}
    client = api_client_for(people["ana"])
    path = feed_path(client)
    secret = path.rsplit("/", 1)[1].removesuffix(".ics")

    with caplog.at_level(logging.INFO, logger="django.request"):
        assert fetch(api_client_for, path).status_code == 200
        assert fetch(api_client_for, path).status_code == 429
        cache.clear()
        client.post(ROTATE)
        assert fetch(api_client_for, path).status_code == 404

    assert [record.getMessage() for record in caplog.records] == [
        "Too Many Requests: /api/calendar/[redacted]",
        "Not Found: /api/calendar/[redacted]",
    ]
    assert secret not in caplog.text


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            '127.0.0.1:5 - "GET /api/calendar/abcDEF_-123.ics HTTP/1.1" 200',
            '127.0.0.1:5 - "GET /api/calendar/[redacted] HTTP/1.1" 200',
        ),
        ("Not Found: /api/calendar/abc.ICS", "Not Found: /api/calendar/[redacted]"),
        ("GET /api/calendar/abc?x=1", "GET /api/calendar/[redacted]?x=1"),
        ("GET /api%2Fcalendar%2Fabc.ics", "GET /api/calendar/[redacted]"),
        ("GET /api/%63alendar/abc%2Eics", "GET /api/calendar/[redacted]"),
        ('"GET /api/calendar/feed/ HTTP/1.1"', '"GET /api/calendar/feed/ HTTP/1.1"'),
        ("GET /api/calendar/feed/rotate/", "GET /api/calendar/feed/rotate/"),
        ("GET /api/calendar/feedXYZ.ics", "GET /api/calendar/[redacted]"),
        ("GET /api/users/me/?x=%41", "GET /api/users/me/?x=%41"),
    ],
)
def test_redaction_of_logged_paths(line, expected):
    assert redact_calendar_secret(line) == expected


def test_the_filter_keeps_uvicorns_arguments_in_place():
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5", "GET", "/api/calendar/" + "A" * 43 + ".ics", "1.1", 200),
        None,
    )
    assert RedactCalendarSecretFilter().filter(record) is True
    assert record.getMessage() == '127.0.0.1:5 - "GET /api/calendar/[redacted] HTTP/1.1" 200'


def test_the_log_filter_loads_before_django():
    """uvicorn reads its --log-config (which names the filter) before Django is set up."""
    code = (
        "import sys, psico_notifications.calendar_logging; "
        "assert 'django.conf' not in sys.modules, sorted(m for m in sys.modules if 'django' in m)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


def test_base_url_and_frontend_links(api_client_for, people, settings):
    settings.PSICO_NOTIFICATIONS = {
        "CALENDAR_FEED_BASE_URL": "https://api.example.com/",
        "FRONTEND_URL": "https://app.example.com",
    }
    ana = people["ana"]
    appointment = session(ana, people["professional"], at(2))

    url = api_client_for(ana).get(FEED).json()["url"]

    assert url.startswith("https://api.example.com/api/calendar/") and url.endswith(".ics")
    [event] = parsed(fetch(api_client_for, urlsplit(url).path)).walk("VEVENT")
    assert str(event["url"]) == f"https://app.example.com/appointments/{appointment.pk}"


def test_head_answers_like_get_without_a_body(api_client_for, patient):
    path = feed_path(api_client_for(patient))
    response = api_client_for(None).head(path)
    assert (response.status_code, response.content) == (200, b"")
    assert response["ETag"] == fetch(api_client_for, path)["ETag"]


def test_a_failure_is_logged_without_the_secret(api_client_for, patient, settings, caplog):
    # A broken setting (no system check reads it) fails the fetch: a 500, logged redacted.
    settings.PSICO_NOTIFICATIONS = {"CALENDAR_FEED_DAYS_BACK": "thirty"}
    path = feed_path(api_client_for(patient))

    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = fetch(api_client_for, path)

    assert response.status_code == 500
    [record] = caplog.records
    assert record.getMessage() == "Internal Server Error: /api/calendar/[redacted]"
    assert record.exc_info is not None
    assert path not in caplog.text


def test_the_admin_rotates_feeds_without_showing_secrets(client, patient, professional):
    admin_user = AdminFactory(is_staff=True, is_superuser=True)
    client.force_login(admin_user)
    feeds = [calendar_feed_of(user=user) for user in (patient, professional)]
    old = {feed.pk: feed.secret for feed in feeds}

    listing = client.get("/admin/psico_notifications/calendarfeed/")
    assert listing.status_code == 200
    assert not any(secret in listing.content.decode() for secret in old.values())
    response = client.post(
        "/admin/psico_notifications/calendarfeed/",
        {"action": "rotate_secrets", "_selected_action": [feeds[0].pk]},
        follow=True,
    )

    assert response.status_code == 200
    assert "1 calendario tiene una nueva dirección." in response.content.decode()
    assert CalendarFeed.objects.get(pk=feeds[0].pk).secret != old[feeds[0].pk]
    assert CalendarFeed.objects.get(pk=feeds[1].pk).secret == old[feeds[1].pk]


def test_the_filter_reads_mapping_arguments():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "%(path)s %(n)d", None, None)
    record.args = {"path": "/api/calendar/" + "A" * 43 + ".ics", "n": 1}
    assert RedactCalendarSecretFilter().filter(record) is True
    assert record.getMessage() == "/api/calendar/[redacted] 1"


@pytest.mark.parametrize(
    "value",
    [
        {"CALENDAR_FEED_DAYS_BACK": -1},
        {"CALENDAR_FEED_DAYS_AHEAD": 0},
        {"CALENDAR_FEED_DAYS_AHEAD": "365"},
        {"CALENDAR_FEED_REFRESH_MINUTES": True},
        {"CALENDAR_FEED_REFRESH_MINUTES": 10**9},
        {"CALENDAR_FEED_THROTTLE_RATE": "120 per hour"},
        {"CALENDAR_FEED_THROTTLE_RATE": "many/hour"},
        {"CALENDAR_FEED_THROTTLE_RATE": "120/fortnight"},
        {"CALENDAR_FEED_THROTTLE_RATE": 120},
        {"CALENDAR_FEED_BASE_URL": "api.example.com"},
        {"CALENDAR_FEED_BASE_URL": "ftp://api.example.com"},
    ],
)
def test_bad_calendar_feed_settings_fail_the_settings_check(settings, value):
    from psico_notifications.checks import check_settings

    settings.PSICO_NOTIFICATIONS = value

    assert [error.id for error in check_settings(None)] == ["psico_notifications.E006"]


@pytest.mark.parametrize(
    "value",
    [
        {"CALENDAR_FEED_DAYS_BACK": 0, "CALENDAR_FEED_DAYS_AHEAD": 30},
        {"CALENDAR_FEED_THROTTLE_RATE": None},
        {"CALENDAR_FEED_THROTTLE_RATE": "10/minute"},
        {"CALENDAR_FEED_BASE_URL": "https://api.example.com"},
    ],
)
def test_good_calendar_feed_settings_pass_the_settings_check(settings, value):
    from psico_notifications.checks import check_settings

    settings.PSICO_NOTIFICATIONS = value

    assert check_settings(None) == []
