"""Free slots: the endpoint, the range selector, search, query counts and DST days."""

import datetime as dt
import zoneinfo

import pytest
from django.utils import timezone
from psico_accounts.testing.factories import (
    PatientFactory,
    ProfessionalFactory,
    SpecializationFactory,
)
from psico_scheduling.selectors import available_slots, available_slots_between
from psico_scheduling.testing.factories import (
    AppointmentFactory,
    BlockedDateFactory,
    WeeklyAvailabilityFactory,
)

from .conftest import APPOINTMENTS, AVAILABLE_SLOTS, SEARCH, appointment_url, messages

pytestmark = pytest.mark.django_db

LA_PAZ = zoneinfo.ZoneInfo("America/La_Paz")


def hours(*values):
    return [f"{value:02d}:00" for value in values]


def slot_times(response):
    assert response.status_code == 200, response.content
    return [slot["start_time"] for slot in response.json()["slots"]]


def get_slots(client, psychologist, date):
    return client.get(AVAILABLE_SLOTS, {"psychologist": psychologist.pk, "date": date.isoformat()})


def test_slots_follow_rules_minus_blocks_and_appointments(
    professional, next_monday, api_client_for
):
    WeeklyAvailabilityFactory(
        psychologist=professional, day_of_week=0, start_time=dt.time(8), end_time=dt.time(12)
    )
    WeeklyAvailabilityFactory(
        psychologist=professional, day_of_week=0, start_time=dt.time(14), end_time=dt.time(18, 30)
    )
    BlockedDateFactory(
        psychologist=professional, date=next_monday, start_time=dt.time(16), end_time=dt.time(17)
    )
    start = dt.datetime.combine(next_monday, dt.time(9), LA_PAZ)
    AppointmentFactory(psychologist=professional, start=start, end=start + dt.timedelta(hours=1))
    AppointmentFactory(
        psychologist=professional,
        start=start + dt.timedelta(hours=1),
        end=start + dt.timedelta(hours=2),
        cancelled=True,
    )

    response = get_slots(api_client_for(None), professional, next_monday)

    assert slot_times(response) == hours(8, 10, 11, 14, 15, 17)
    body = response.json()
    assert (body["psychologist"], body["date"], body["session_duration"]) == (
        professional.pk,
        next_monday.isoformat(),
        60,
    )
    assert body["slots"][0] == {
        "start_time": "08:00",
        "end_time": "09:00",
        "start": f"{next_monday.isoformat()}T08:00:00-04:00",
        "end": f"{next_monday.isoformat()}T09:00:00-04:00",
    }


def test_session_duration_and_buffers_shape_the_grid(next_monday, api_client_for, settings):
    professional = ProfessionalFactory(professional_profile__session_duration=45)
    WeeklyAvailabilityFactory(
        psychologist=professional, day_of_week=0, start_time=dt.time(8), end_time=dt.time(11, 15)
    )
    start = dt.datetime.combine(next_monday, dt.time(9, 30), LA_PAZ)
    AppointmentFactory(psychologist=professional, start=start, end=start + dt.timedelta(minutes=45))
    client = api_client_for(None)
    assert slot_times(get_slots(client, professional, next_monday)) == ["08:00", "08:45", "10:15"]
    settings.PSICO_SCHEDULING = {"BUFFER_MINUTES": 15, "SLOT_STEP_MINUTES": 15}
    assert slot_times(get_slots(client, professional, next_monday)) == [
        "08:00",
        "08:15",
        "08:30",
        "10:30",
    ]


def test_whole_day_blocks_past_days_notice_and_horizon(
    professional, weekly_schedule, next_monday, api_client_for, settings
):
    client = api_client_for(None)
    BlockedDateFactory(psychologist=professional, date=next_monday)
    assert slot_times(get_slots(client, professional, next_monday)) == []
    today = timezone.localdate()
    last_monday = today - dt.timedelta(days=today.weekday() or 7)
    assert slot_times(get_slots(client, professional, last_monday)) == []
    tuesday = next_monday + dt.timedelta(days=1)
    assert len(slot_times(get_slots(client, professional, tuesday))) == 10
    settings.PSICO_SCHEDULING = {"MAX_DAYS_AHEAD": 1}
    assert slot_times(get_slots(client, professional, tuesday)) == []


def test_today_only_offers_times_after_the_notice(professional, api_client_for, settings):
    now = timezone.localtime(timezone.now(), LA_PAZ)
    WeeklyAvailabilityFactory(
        psychologist=professional,
        day_of_week=now.weekday(),
        start_time=dt.time(0),
        end_time=dt.time(23, 59),
    )
    settings.PSICO_SCHEDULING = {"MIN_NOTICE_MINUTES": 120}
    offered = slot_times(get_slots(api_client_for(None), professional, now.date()))
    earliest = now + dt.timedelta(minutes=120)
    assert all(
        dt.datetime.combine(now.date(), dt.time.fromisoformat(t), LA_PAZ) >= earliest
        for t in offered
    )
    if earliest.date() == now.date() and earliest.hour < 22:
        assert offered[0] == f"{earliest.hour + 1:02d}:00"


def test_every_offered_slot_is_bookable_and_then_gone(
    professional, weekly_schedule, next_monday, book, settings
):
    settings.PSICO_SCHEDULING = {"SLOT_STEP_MINUTES": 30}
    booked = []
    for _ in range(30):
        slots = available_slots(psychologist=professional, date=next_monday)
        if not slots:
            break
        first = slots[0]
        booked.append(
            book(PatientFactory(), professional, next_monday, first.start_time.strftime("%H:%M"))
        )
        remaining = available_slots(psychologist=professional, date=next_monday)
        assert all(s.end <= booked[-1].start or s.start >= booked[-1].end for s in remaining)
    assert [a.start.astimezone(LA_PAZ).hour for a in booked] == list(range(8, 18))


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"date": "2030-01-01"}, "psychologist"),
        ({"psychologist": "1"}, "date"),
        ({"psychologist": "abc", "date": "2030-01-01"}, "psychologist"),
        ({"psychologist": "1", "date": "01/01/2030"}, "date"),
    ],
)
def test_bad_parameters_are_400(api_client_for, params, field):
    assert messages(api_client_for(None).get(AVAILABLE_SLOTS, params), field)


def test_unknown_or_non_professionals_are_404(patient, next_monday, api_client_for):
    client = api_client_for(None)
    assert get_slots(client, patient, next_monday).status_code == 404
    assert (
        client.get(
            AVAILABLE_SLOTS, {"psychologist": 999999, "date": next_monday.isoformat()}
        ).status_code
        == 404
    )
    idle = ProfessionalFactory()
    assert slot_times(get_slots(client, idle, next_monday)) == []


def test_available_slots_takes_at_most_three_queries(
    professional, weekly_schedule, next_monday, api_client_for, django_assert_max_num_queries
):
    BlockedDateFactory(psychologist=professional, date=next_monday, afternoon=True)
    # Booked on another day: on a Sunday, "tomorrow" (the factory's default) is that Monday.
    for hour in (9, 10, 11):
        start = dt.datetime.combine(next_monday + dt.timedelta(days=1), dt.time(hour), LA_PAZ)
        AppointmentFactory(psychologist=professional, start=start)
    client = api_client_for(None)
    with django_assert_max_num_queries(3):
        response = get_slots(client, professional, next_monday)
    assert slot_times(response) == hours(8, 9, 10, 11, 12, 13)


def test_a_month_of_slots_in_three_queries(
    professional, weekly_schedule, next_monday, django_assert_max_num_queries
):
    BlockedDateFactory(psychologist=professional, date=next_monday)
    book_at = dt.datetime.combine(next_monday + dt.timedelta(days=1), dt.time(9), LA_PAZ)
    AppointmentFactory(
        psychologist=professional, start=book_at, end=book_at + dt.timedelta(hours=1)
    )
    end_date = next_monday + dt.timedelta(days=27)
    with django_assert_max_num_queries(3):
        month = available_slots_between(
            psychologist=professional, start_date=next_monday, end_date=end_date
        )
    assert len(month) == 28
    assert month[next_monday] == []
    assert len(month[next_monday + dt.timedelta(days=1)]) == 9
    assert len(month[next_monday + dt.timedelta(days=2)]) == 10
    assert month[next_monday + dt.timedelta(days=5)] == []  # Saturday
    assert sum(len(day) for day in month.values()) == 19 * 10 - 1


# -- search ---------------------------------------------------------------------------------


def make_professionals(count, day, **profile):
    professionals = ProfessionalFactory.create_batch(
        count, **{f"professional_profile__{key}": value for key, value in profile.items()}
    )
    WeeklyAvailabilityFactory._meta.model.objects.bulk_create(
        [
            WeeklyAvailabilityFactory.build(
                psychologist=professional,
                day_of_week=day.weekday(),
                start_time=dt.time(9),
                end_time=dt.time(12),
            )
            for professional in professionals
        ]
    )
    return professionals


@pytest.mark.parametrize("count", [10, 200])
def test_search_takes_constant_queries(
    count, next_monday, api_client_for, django_assert_max_num_queries
):
    professionals = make_professionals(count, next_monday)
    full = professionals[0]
    for hour in (9, 10, 11):
        start = dt.datetime.combine(next_monday, dt.time(hour), LA_PAZ)
        AppointmentFactory(psychologist=full, start=start, end=start + dt.timedelta(hours=1))
    BlockedDateFactory(psychologist=professionals[1], date=next_monday)
    client = api_client_for(None)
    with django_assert_max_num_queries(6):
        response = client.get(SEARCH, {"date": next_monday.isoformat()})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == count - 2
    found = {item["id"] for item in body["results"]}
    assert full.pk not in found and professionals[1].pk not in found
    assert body["results"][0]["available_slots"][0]["start_time"] == "09:00"


def test_search_filters_by_specialization_and_city(next_monday, api_client_for):
    anxiety = SpecializationFactory(name="Ansiedad", slug="ansiedad")
    couples = SpecializationFactory(name="Pareja", slug="pareja")
    in_la_paz = make_professionals(1, next_monday, city="La Paz")[0]
    in_santa_cruz = make_professionals(1, next_monday, city="Santa Cruz")[0]
    in_la_paz.professional_profile.specializations.set([anxiety])
    in_santa_cruz.professional_profile.specializations.set([couples])
    hidden = make_professionals(1, next_monday, city="La Paz", is_public=False)[0]
    client = api_client_for(None)

    def found(**params):
        response = client.get(SEARCH, {"date": next_monday.isoformat(), **params})
        assert response.status_code == 200
        return [item["id"] for item in response.json()["results"]]

    assert hidden.pk not in found()
    assert found(specialization="ansiedad") == [in_la_paz.pk]
    assert found(specialization=str(couples.pk)) == [in_santa_cruz.pk]
    assert found(city="santa cruz") == [in_santa_cruz.pk]
    assert found(city="La Paz", specialization="pareja") == []
    assert found(specialization="²") == found(specialization="9" * 30) == []
    item = client.get(SEARCH, {"date": next_monday.isoformat(), "city": "La Paz"}).json()[
        "results"
    ][0]
    assert item["specializations"] == [{"id": anxiety.pk, "name": "Ansiedad", "slug": "ansiedad"}]
    assert {"first_name", "last_name", "city", "session_duration", "consultation_fee"} <= set(item)
    assert "email" not in item and "phone" not in item and "ci" not in item


def test_search_needs_a_valid_date(api_client_for):
    assert messages(api_client_for(None).get(SEARCH), "date")
    assert messages(api_client_for(None).get(SEARCH, {"date": "tomorrow"}), "date")


# -- the appointments list ------------------------------------------------------------------


def test_the_appointment_list_is_role_scoped_filtered_and_constant(
    patient, professional, clinic_admin, api_client_for, django_assert_max_num_queries
):
    mine = AppointmentFactory.create_batch(3, patient=patient, psychologist=professional)
    cancelled = AppointmentFactory(patient=patient, psychologist=professional, cancelled=True)
    others = AppointmentFactory.create_batch(2)
    patient_client = api_client_for(patient)

    with django_assert_max_num_queries(3):
        body = patient_client.get(APPOINTMENTS).json()
    assert [a["id"] for a in body["results"]] == [a.pk for a in [*mine, cancelled]]
    AppointmentFactory.create_batch(10, patient=patient)
    with django_assert_max_num_queries(3):
        assert patient_client.get(APPOINTMENTS).json()["count"] == 14

    pro_ids = [a["id"] for a in api_client_for(professional).get(APPOINTMENTS).json()["results"]]
    assert pro_ids == [a.pk for a in [*mine, cancelled]]
    assert api_client_for(clinic_admin).get(APPOINTMENTS).json()["count"] == 16
    assert patient_client.get(appointment_url(others[0].pk)).status_code == 404

    status = patient_client.get(APPOINTMENTS, {"status": "cancelled"}).json()
    assert [a["id"] for a in status["results"]] == [cancelled.pk]
    assert patient_client.get(APPOINTMENTS, {"status": "nope"}).status_code == 400
    descending = patient_client.get(APPOINTMENTS, {"ordering": "-start"}).json()["results"]
    assert descending[0]["start"] >= descending[-1]["start"]


def test_the_list_filters_by_local_dates(patient, professional, api_client_for):
    day = timezone.localdate() + dt.timedelta(days=20)
    late = dt.datetime.combine(day, dt.time(22, 30), LA_PAZ)  # already "tomorrow" in UTC
    early = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(8), LA_PAZ)
    a = AppointmentFactory(
        patient=patient, psychologist=professional, start=late, end=late + dt.timedelta(hours=1)
    )
    b = AppointmentFactory(
        patient=patient, psychologist=professional, start=early, end=early + dt.timedelta(hours=1)
    )
    client = api_client_for(patient)

    def ids(**params):
        return [x["id"] for x in client.get(APPOINTMENTS, params).json()["results"]]

    assert ids(date_from=day.isoformat(), date_to=day.isoformat()) == [a.pk]
    assert ids(date_from=(day + dt.timedelta(days=1)).isoformat()) == [b.pk]
    assert ids(date_to=day.isoformat()) == [a.pk]
    assert client.get(APPOINTMENTS, {"date_from": "ayer"}).status_code == 400


@pytest.mark.parametrize(
    "params", [{"date_from": ""}, {"date_to": ""}, {"status": ""}, {"date_from": "", "status": ""}]
)
def test_a_filter_sent_blank_is_refused_not_ignored(patient, api_client_for, params):
    response = api_client_for(patient, language="es").get(APPOINTMENTS, params)

    assert response.status_code == 400
    assert response.json() == {
        name: ["Dé un valor a este parámetro, o no lo envíe."] for name in params
    }


@pytest.mark.parametrize(
    "params", [{"psychologist": "", "date": "2030-05-27"}, {"psychologist": "7", "date": ""}]
)
def test_slot_parameters_sent_blank_are_refused(api_client_for, params):
    response = api_client_for(None, language="en").get("/api/appointments/available-slots/", params)

    assert response.status_code == 400
    blank = [name for name, value in params.items() if not value]
    assert response.json() == {
        name: ["Give this parameter a value, or leave it out."] for name in blank
    }


# -- daylight saving time -------------------------------------------------------------------

SANTIAGO = zoneinfo.ZoneInfo("America/Santiago")


def santiago_changes():
    """The next spring-forward Sunday and fall-back Saturday in Santiago (clocks change at
    local midnight there: 00:00–00:59 does not exist; 23:00–23:59 happens twice)."""
    today = timezone.localdate()
    spring = fall = None
    for n in range(400):
        day = today + dt.timedelta(days=n)
        before = dt.datetime.combine(day, dt.time(12), SANTIAGO).utcoffset()
        after = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(12), SANTIAGO).utcoffset()
        if after > before and spring is None:
            spring = day + dt.timedelta(days=1)
        if after < before and fall is None:
            fall = day
    if spring is None or fall is None:
        pytest.skip("America/Santiago has no clock change in the next 400 days")
    return spring, fall


@pytest.fixture
def santiago(settings):
    settings.PSICO_SCHEDULING = {"MAX_DAYS_AHEAD": 400}
    return ProfessionalFactory(
        professional_profile__time_zone="America/Santiago",
        professional_profile__session_duration=30,
    )


@pytest.fixture
def la_paz():
    return ProfessionalFactory(
        professional_profile__time_zone="America/La_Paz", professional_profile__session_duration=30
    )


def starts(response):
    assert response.status_code == 200
    return [
        (slot["start_time"], slot["end_time"], slot["start"]) for slot in response.json()["slots"]
    ]


def test_spring_forward_skips_the_missing_hour(santiago, la_paz, api_client_for):
    spring, _fall = santiago_changes()
    for professional in (santiago, la_paz):
        WeeklyAvailabilityFactory(
            psychologist=professional,
            day_of_week=spring.weekday(),
            start_time=dt.time(0),
            end_time=dt.time(2),
        )
    client = api_client_for(None)
    d = spring.isoformat()
    assert starts(get_slots(client, santiago, spring)) == [
        ("01:00", "01:30", f"{d}T01:00:00-03:00"),
        ("01:30", "02:00", f"{d}T01:30:00-03:00"),
    ]
    assert starts(get_slots(client, la_paz, spring)) == [
        ("00:00", "00:30", f"{d}T00:00:00-04:00"),
        ("00:30", "01:00", f"{d}T00:30:00-04:00"),
        ("01:00", "01:30", f"{d}T01:00:00-04:00"),
        ("01:30", "02:00", f"{d}T01:30:00-04:00"),
    ]


def test_fall_back_offers_the_repeated_hour_once(santiago, api_client_for):
    _spring, fall = santiago_changes()
    WeeklyAvailabilityFactory(
        psychologist=santiago,
        day_of_week=fall.weekday(),
        start_time=dt.time(22),
        end_time=dt.time(23, 59),
    )
    d = fall.isoformat()
    assert starts(get_slots(api_client_for(None), santiago, fall)) == [
        ("22:00", "22:30", f"{d}T22:00:00-03:00"),
        ("22:30", "23:00", f"{d}T22:30:00-03:00"),
        ("23:00", "23:30", f"{d}T23:00:00-03:00"),
    ]


def test_a_booking_on_a_dst_day_round_trips(santiago, patient, api_client_for, post_booking):
    spring, fall = santiago_changes()
    WeeklyAvailabilityFactory(
        psychologist=santiago,
        day_of_week=spring.weekday(),
        start_time=dt.time(0),
        end_time=dt.time(3),
    )
    WeeklyAvailabilityFactory(
        psychologist=santiago,
        day_of_week=fall.weekday(),
        start_time=dt.time(22),
        end_time=dt.time(23, 59),
    )

    missing = post_booking(patient, santiago, spring, "00:30", language="en")
    assert messages(missing, "start_time") == [
        "That time does not exist in the professional's time zone (the clocks change that day)."
    ]
    assert messages(post_booking(patient, santiago, spring, "00:30"), "start_time") == [
        "Esa hora no existe en la zona horaria del profesional (ese día cambia la hora)."
    ]
    for day, time, offset in ((spring, "01:00", "-03:00"), (fall, "23:00", "-03:00")):
        created = post_booking(patient, santiago, day, time)
        assert created.status_code == 201, created.content
        read = api_client_for(patient).get(appointment_url(created.json()["id"])).json()
        for body in (created.json(), read):
            assert body["appointment_date"] == day.isoformat()
            assert body["start_time"] == time
            assert body["start"] == f"{day.isoformat()}T{time}:00{offset}"
            assert body["time_zone"] == "America/Santiago"
    assert starts(get_slots(api_client_for(None), santiago, fall))[-1][0] == "22:30"


def test_the_time_zone_fallback_follows_the_settings(settings):
    from psico_scheduling.slots import get_zone

    assert get_zone(None) == zoneinfo.ZoneInfo(settings.TIME_ZONE)
    settings.TIME_ZONE = "Europe/Madrid"
    assert get_zone(None) == zoneinfo.ZoneInfo("Europe/Madrid")
    assert get_zone("No/Such_Zone") == zoneinfo.ZoneInfo("Europe/Madrid")
    assert get_zone("America/La_Paz") == LA_PAZ


def test_the_list_filters_by_each_professionals_local_date(
    patient, api_client_for, django_assert_max_num_queries
):
    """23:30 in Madrid is 17:30 in La Paz (the site) on the same day, and 00:30 in Madrid is
    still the day before in La Paz: each appointment is filtered by the date it shows."""
    madrid = zoneinfo.ZoneInfo("Europe/Madrid")
    professional = ProfessionalFactory(professional_profile__time_zone="Europe/Madrid")
    day = timezone.localdate() + dt.timedelta(days=20)
    after_midnight = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0, 30), madrid)
    before_midnight = dt.datetime.combine(day, dt.time(23, 0), madrid)
    late = AppointmentFactory(
        patient=patient,
        psychologist=professional,
        start=after_midnight,
        end=after_midnight + dt.timedelta(hours=1),
    )
    early = AppointmentFactory(
        patient=patient,
        psychologist=professional,
        start=before_midnight - dt.timedelta(hours=2),
        end=before_midnight - dt.timedelta(hours=1),
    )
    client = api_client_for(patient)

    def shown(**params):
        body = client.get(APPOINTMENTS, params).json()["results"]
        return [(x["id"], x["appointment_date"]) for x in body]

    next_day = (day + dt.timedelta(days=1)).isoformat()
    with django_assert_max_num_queries(4):  # the zones, the count, the page, the token
        shown(date_from=day.isoformat(), date_to=next_day)
    assert shown(date_from=day.isoformat(), date_to=day.isoformat()) == [
        (early.pk, day.isoformat())
    ]
    assert shown(date_from=next_day, date_to=next_day) == [(late.pk, next_day)]
    assert shown(date_to=day.isoformat()) == [(early.pk, day.isoformat())]
