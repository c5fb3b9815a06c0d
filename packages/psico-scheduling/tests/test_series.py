"""Recurring series: every date goes through the booking rules (a refused one is skipped with
its reason, or nothing is booked with ``all_or_nothing``), dates beyond the horizon wait for
the worker, and a series is cancelled from a date while each appointment stays its own."""

import datetime as dt
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone
from psico_accounts.testing.factories import PatientFactory, ProfessionalFactory
from psico_core.tasks_compat import IMMEDIATE_BACKEND
from psico_scheduling import services
from psico_scheduling.models import (
    Appointment,
    AppointmentEvent,
    AppointmentSeries,
    AppointmentStatus,
    SeriesDate,
    SeriesDateStatus,
)
from psico_scheduling.tasks import book_series_dates
from psico_scheduling.testing.factories import (
    AppointmentFactory,
    BlockedDateFactory,
    weekly_schedule_for,
)

from .conftest import appointment_url, messages

pytestmark = pytest.mark.django_db

SERIES = "/api/appointments/series/"
BLOCKED_EN = "The professional is not available on that date or at that time."
BLOCKED_ES = "El profesional no está disponible en esa fecha u horario."
BUSY_EN = "The professional already has an appointment at that time."


def series_url(pk, action=None):
    return f"{SERIES}{pk}/" + (f"{action}/" if action else "")


@pytest.fixture
def post_series(api_client_for):
    """``post_series(user, psychologist, start_date, "09:00", count=12, language=None)``."""

    def post(
        user, psychologist, start_date: dt.date, start_time: str, /, *, language=None, **extra
    ):
        payload = {
            "psychologist": getattr(psychologist, "pk", psychologist),
            "start_date": start_date.isoformat(),
            "start_time": start_time,
            "frequency": "weekly",
            **extra,
        }
        return api_client_for(user, language=language).post(SERIES, payload, format="json")

    return post


def _local(appointment) -> tuple[dt.date, str]:
    local = timezone.localtime(appointment.start)
    return local.date(), f"{local:%H:%M}"


def _taken(professional, day: dt.date, hour: int):
    """Someone else's appointment with ``professional`` at ``hour`` on ``day`` (site zone)."""
    start = timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))
    return AppointmentFactory(
        patient=PatientFactory(),
        psychologist=professional,
        start=start,
        end=start + dt.timedelta(hours=1),
    )


# -- booking -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "blocked", "busy"),
    [
        ("en", BLOCKED_EN, BUSY_EN),
        (None, BLOCKED_ES, "El profesional ya tiene una cita en ese horario."),
    ],
)
def test_twelve_weeks_over_a_blocked_week_and_a_taken_slot(
    patient, professional, weekly_schedule, next_monday, post_series, language, blocked, busy
):
    BlockedDateFactory(psychologist=professional, date=next_monday + dt.timedelta(weeks=3))
    _taken(professional, next_monday + dt.timedelta(weeks=7), 9)

    response = post_series(
        patient, professional, next_monday, "09:00", count=12, reason="Terapia", language=language
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert len(body["appointments"]) == 10
    assert body["skipped"] == [
        {"date": (next_monday + dt.timedelta(weeks=3)).isoformat(), "reason": blocked},
        {"date": (next_monday + dt.timedelta(weeks=7)).isoformat(), "reason": busy},
    ]
    assert body["pending_dates"] == []
    assert {a["series"] for a in body["appointments"]} == {body["id"]}
    assert [a["appointment_date"] for a in body["appointments"]] == [
        (next_monday + dt.timedelta(weeks=week)).isoformat()
        for week in range(12)
        if week not in (3, 7)
    ]
    stored = Appointment.objects.filter(series_id=body["id"]).order_by("start")
    assert [_local(a) for a in stored] == [
        (next_monday + dt.timedelta(weeks=week), "09:00")
        for week in range(12)
        if week not in (3, 7)
    ]
    assert {(a.patient_id, a.status, a.reason) for a in stored} == {
        (patient.pk, AppointmentStatus.PENDING, "Terapia")
    }
    # Every booked date sends the ordinary booking event, by the patient.
    events = AppointmentEvent.objects.filter(appointment__series_id=body["id"])
    assert (
        sorted((e.name, e.sequence, e.actor_id) for e in events)
        == [("appointment.booked", 0, patient.pk)] * 10
    )


def test_a_skipped_reason_is_read_in_the_readers_language(
    patient, professional, weekly_schedule, next_monday, post_series, api_client_for
):
    BlockedDateFactory(psychologist=professional, date=next_monday + dt.timedelta(weeks=1))
    created = post_series(patient, professional, next_monday, "09:00", count=3, language="en")
    assert created.json()["skipped"][0]["reason"] == BLOCKED_EN

    read = api_client_for(patient).get(series_url(created.json()["id"]))

    assert read.json()["skipped"][0]["reason"] == BLOCKED_ES


def test_a_parametrised_reason_keeps_its_values(
    patient, professional, weekly_schedule, next_monday, post_series
):
    notice = 60 * 24 * 10  # ten days: next Monday (2 to 8 days away) is too soon
    with override_settings(PSICO_SCHEDULING={"MIN_NOTICE_MINUTES": notice}):
        response = post_series(patient, professional, next_monday, "09:00", count=3, language="en")
    # The first date is too soon (the second may be), the third is booked: the message keeps
    # its number.
    body = response.json()
    assert response.status_code == 201, body
    assert body["skipped"][0]["date"] == next_monday.isoformat()
    assert {s["reason"] for s in body["skipped"]} == {
        f"Appointments must be booked at least {notice} minutes in advance."
    }
    assert (
        body["appointments"][-1]["appointment_date"]
        == (next_monday + dt.timedelta(weeks=2)).isoformat()
    )


def test_biweekly_until_an_inclusive_last_date(
    patient, professional, weekly_schedule, next_monday, post_series
):
    until = next_monday + dt.timedelta(weeks=6)
    response = post_series(
        patient, professional, next_monday, "10:00", frequency="biweekly", until=until.isoformat()
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert [a["appointment_date"] for a in body["appointments"]] == [
        (next_monday + dt.timedelta(weeks=week)).isoformat() for week in (0, 2, 4, 6)
    ]
    assert (body["count"], body["until"], body["frequency"]) == (
        None,
        until.isoformat(),
        "biweekly",
    )


def test_all_or_nothing_books_none_and_lists_the_conflicts(
    patient, professional, weekly_schedule, next_monday, post_series
):
    BlockedDateFactory(psychologist=professional, date=next_monday + dt.timedelta(weeks=2))
    _taken(professional, next_monday + dt.timedelta(weeks=4), 9)

    response = post_series(
        patient, professional, next_monday, "09:00", count=6, all_or_nothing=True, language="en"
    )

    assert response.status_code == 400
    assert response.json() == {
        "non_field_errors": [
            "Some dates of this series cannot be booked, so none was (all_or_nothing)."
        ],
        "conflicts": {
            (next_monday + dt.timedelta(weeks=2)).isoformat(): [BLOCKED_EN],
            (next_monday + dt.timedelta(weeks=4)).isoformat(): [BUSY_EN],
        },
    }
    assert not AppointmentSeries.objects.exists()
    assert not SeriesDate.objects.exists()
    assert not Appointment.objects.filter(patient=patient).exists()
    assert not AppointmentEvent.objects.exists()


def test_all_or_nothing_books_everything_when_nothing_conflicts(
    patient, professional, weekly_schedule, next_monday, post_series
):
    response = post_series(
        patient, professional, next_monday, "09:00", count=4, all_or_nothing=True
    )
    assert response.status_code == 201, response.content
    assert Appointment.objects.filter(series_id=response.json()["id"]).count() == 4


def test_a_series_no_date_of_which_can_be_booked_is_refused(
    patient, professional, weekly_schedule, next_monday, post_series
):
    saturday = next_monday + dt.timedelta(days=5)  # the professional works Monday to Friday
    response = post_series(patient, professional, saturday, "09:00", count=3, language="en")

    assert response.status_code == 400
    body = response.json()
    assert body["non_field_errors"] == [
        "None of the dates of this series can be booked; nothing was booked."
    ]
    assert body["conflicts"] == {
        (saturday + dt.timedelta(weeks=week)).isoformat(): [
            "The professional does not attend at that time."
        ]
        for week in range(3)
    }
    assert not AppointmentSeries.objects.exists()


@pytest.mark.parametrize(
    ("extra", "fields"),
    [
        ({"count": 3, "until": "KEEP"}, {"count", "until"}),
        ({}, {"count", "until"}),
        ({"count": 53}, {"count"}),
        ({"count": 0}, {"count"}),
        ({"count": -1}, {"count"}),
        ({"count": None}, {"count"}),
        ({"count": "3"}, {"count"}),
        ({"frequency": "daily", "count": 3}, {"frequency"}),
        ({"until": "9999-12-31"}, {"until"}),
    ],
    ids=repr,
)
def test_the_end_of_a_series_is_count_or_until(
    patient, professional, weekly_schedule, next_monday, post_series, extra, fields
):
    if extra.get("until") == "KEEP":
        extra["until"] = (next_monday + dt.timedelta(weeks=2)).isoformat()
    response = post_series(patient, professional, next_monday, "09:00", **extra)
    assert response.status_code == 400, response.content
    assert fields <= set(response.json()), response.json()
    assert not AppointmentSeries.objects.exists()


def test_until_may_not_come_before_the_start_nor_give_more_than_52_dates(
    patient, professional, weekly_schedule, next_monday, post_series
):
    before = post_series(
        patient,
        professional,
        next_monday,
        "09:00",
        until=(next_monday - dt.timedelta(days=1)).isoformat(),
        language="en",
    )
    assert messages(before, "until") == ["The last date must be on or after the start date."]
    too_far = post_series(
        patient,
        professional,
        next_monday,
        "09:00",
        until=(next_monday + dt.timedelta(weeks=52)).isoformat(),
        language="en",
    )
    assert messages(too_far, "until") == [
        "A series has at most 52 appointments; choose an earlier last date (until)."
    ]
    assert not AppointmentSeries.objects.exists()


def test_a_series_cannot_start_in_the_past(
    patient, professional, weekly_schedule, next_monday, post_series
):
    response = post_series(
        patient,
        professional,
        timezone.localdate() - dt.timedelta(days=1),
        "09:00",
        count=2,
        language="en",
    )
    assert messages(response, "start_date") == ["A series cannot start in the past."]


def test_the_service_refuses_what_the_serializer_would(patient, professional, next_monday):
    with pytest.raises(ValidationError) as refused:
        services.series_dates(
            start_date=next_monday, frequency="weekly", count=3, until=next_monday
        )
    assert set(refused.value.message_dict) == {"count", "until"}
    with pytest.raises(ValidationError) as refused:
        services.series_dates(start_date=next_monday, frequency="weekly", count=53)
    assert set(refused.value.message_dict) == {"count"}
    assert services.series_dates(
        start_date=next_monday, frequency="weekly", until=next_monday + dt.timedelta(weeks=51)
    )[-1] == next_monday + dt.timedelta(weeks=51)


def test_appointments_show_their_series(
    patient, professional, weekly_schedule, next_monday, post_series, post_booking, api_client_for
):
    single = post_booking(patient, professional, next_monday, "15:00")
    series = post_series(patient, professional, next_monday, "09:00", count=2).json()

    listed = api_client_for(patient).get("/api/appointments/appointments/").json()["results"]

    assert {a["id"]: a["series"] for a in listed} == {
        single.json()["id"]: None,
        **{a["id"]: series["id"] for a in series["appointments"]},
    }


# -- the front desk and who may book ---------------------------------------------------------


def test_the_front_desk_books_a_series_for_a_patient(
    clinic_admin, patient, professional, weekly_schedule, next_monday, post_series
):
    response = post_series(
        clinic_admin, professional, next_monday, "09:00", count=3, patient=patient.pk
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["patient"]["id"] == patient.pk
    assert all(a["patient"]["id"] == patient.pk for a in body["appointments"])
    assert set(
        AppointmentEvent.objects.filter(appointment__series_id=body["id"]).values_list(
            "actor_id", flat=True
        )
    ) == {clinic_admin.pk}
    assert AppointmentSeries.objects.get().booked_by == clinic_admin


def test_the_front_desk_must_name_the_patient(
    clinic_admin, professional, weekly_schedule, next_monday, post_series
):
    response = post_series(clinic_admin, professional, next_monday, "09:00", count=3, language="en")
    assert messages(response, "patient") == ["Name the patient this appointment is for."]


def test_a_patient_cannot_name_a_patient(
    patient, professional, weekly_schedule, next_monday, post_series
):
    response = post_series(
        patient, professional, next_monday, "09:00", count=3, patient=PatientFactory().pk
    )
    assert "patient" in response.json()
    assert not AppointmentSeries.objects.exists()


def test_a_professional_cannot_book_a_series(
    professional, weekly_schedule, next_monday, post_series
):
    response = post_series(professional, professional, next_monday, "09:00", count=3)
    assert response.status_code == 403


def test_a_professional_not_taking_new_patients_refuses_the_whole_series(
    patient, next_monday, post_series
):
    closed = ProfessionalFactory(professional_profile__accepting_new_patients=False)
    weekly_schedule_for(closed)
    response = post_series(patient, closed, next_monday, "09:00", count=3, language="en")
    assert messages(response, "psychologist") == [
        "This professional is not taking new patients; only their current patients can book."
    ]
    assert not AppointmentSeries.objects.exists()


def test_a_non_professional_is_refused(patient, next_monday, post_series):
    response = post_series(patient, PatientFactory(), next_monday, "09:00", count=3)
    assert "psychologist" in response.json()


# -- who sees and cancels ------------------------------------------------------------------


@pytest.fixture
def series(patient, professional, weekly_schedule, next_monday):
    return services.appointment_series_book(
        patient=patient,
        psychologist=professional,
        start_date=next_monday,
        start_time=dt.time(9),
        frequency="weekly",
        count=4,
    )


@pytest.mark.parametrize(
    ("actor", "expected"),
    [
        ("patient", 200),
        ("professional", 200),
        ("clinic_admin", 200),
        ("other_patient", 404),
        ("other_professional", 404),
        ("anonymous", 401),
    ],
)
def test_who_reads_a_series(series, request, api_client_for, actor, expected):
    user = {
        "other_patient": PatientFactory,
        "other_professional": ProfessionalFactory,
        "anonymous": lambda: None,
    }.get(actor, lambda: request.getfixturevalue(actor))()
    client = api_client_for(user)

    detail = client.get(series_url(series.pk))
    listed = client.get(SERIES)

    assert detail.status_code == expected
    if expected == 401:
        assert listed.status_code == 401
        return
    ids = [item["id"] for item in listed.json()["results"]]
    assert ids == ([series.pk] if expected == 200 else [])
    cancel = client.post(series_url(series.pk, "cancel"), {"reason": "Viaje"}, format="json")
    assert cancel.status_code == expected


def test_cancel_from_a_date_cancels_that_one_and_the_following(
    series, patient, next_monday, api_client_for
):
    from_date = next_monday + dt.timedelta(weeks=2)
    response = api_client_for(patient, language="en").post(
        series_url(series.pk, "cancel"),
        {"from_date": from_date.isoformat(), "reason": "Mudanza"},
        format="json",
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert [(a["appointment_date"], a["status"]) for a in body["appointments"]] == [
        (next_monday.isoformat(), "pending"),
        ((next_monday + dt.timedelta(weeks=1)).isoformat(), "pending"),
        ((next_monday + dt.timedelta(weeks=2)).isoformat(), "cancelled"),
        ((next_monday + dt.timedelta(weeks=3)).isoformat(), "cancelled"),
    ]
    assert (body["cancelled_from"], body["cancellation_reason"]) == (
        from_date.isoformat(),
        "Mudanza",
    )
    cancelled = Appointment.objects.filter(series=series, status=AppointmentStatus.CANCELLED)
    assert {(a.cancellation_reason, a.cancelled_by_id) for a in cancelled} == {
        ("Mudanza", patient.pk)
    }
    assert AppointmentEvent.objects.filter(name="appointment.cancelled").count() == 2
    # Nothing is left from that date on: a second cancel says so.
    again = api_client_for(patient, language="en").post(
        series_url(series.pk, "cancel"),
        {"from_date": from_date.isoformat(), "reason": "Mudanza"},
        format="json",
    )
    assert messages(again) == ["This series has no appointment left to cancel from that date."]


def test_cancel_without_a_date_cancels_every_future_one_and_marks_late_ones(
    series, professional, api_client_for
):
    first = Appointment.objects.filter(series=series).order_by("start").first()
    hours_to_first = (first.start - timezone.now()) / dt.timedelta(hours=1)
    window = int(hours_to_first) + 2  # only the first is inside the window
    with override_settings(PSICO_SCHEDULING={"CANCELLATION_WINDOW_HOURS": window}):
        response = api_client_for(professional).post(
            series_url(series.pk, "cancel"), {"reason": "Licencia"}, format="json"
        )

    assert response.status_code == 200, response.content
    stored = list(Appointment.objects.filter(series=series).order_by("start"))
    assert [a.status for a in stored] == [AppointmentStatus.CANCELLED] * 4
    assert [a.is_late_cancellation for a in stored] == [True, False, False, False]


def test_cancel_needs_a_reason(series, patient, api_client_for):
    response = api_client_for(patient, language="en").post(
        series_url(series.pk, "cancel"), {"reason": "  "}, format="json"
    )
    assert messages(response, "reason") == ["Please give a reason for the cancellation."]
    assert not Appointment.objects.filter(status=AppointmentStatus.CANCELLED).exists()


def test_one_date_stays_cancellable_and_reschedulable_alone(series, patient, api_client_for):
    first, second, *_rest = Appointment.objects.filter(series=series).order_by("start")
    client = api_client_for(patient)

    cancelled = client.post(appointment_url(first.pk, "cancel"), {"reason": "Gripe"}, format="json")
    moved = client.patch(appointment_url(second.pk), {"start_time": "11:00"}, format="json")

    assert cancelled.status_code == 200, cancelled.content
    assert moved.status_code == 200, moved.content
    assert (cancelled.json()["series"], moved.json()["series"]) == (series.pk, series.pk)
    assert moved.json()["start_time"] == "11:00"
    statuses = list(
        Appointment.objects.filter(series=series).order_by("start").values_list("status", flat=True)
    )
    assert statuses == ["cancelled", "pending", "pending", "pending"]


# -- beyond the horizon: the worker ----------------------------------------------------------


@pytest.fixture
def near_horizon(settings):
    settings.PSICO_SCHEDULING = {"MAX_DAYS_AHEAD": 30}


def test_dates_beyond_the_horizon_wait_for_it(
    near_horizon, patient, professional, weekly_schedule, next_monday, post_series
):
    response = post_series(patient, professional, next_monday, "09:00", count=8)

    assert response.status_code == 201, response.content
    body = response.json()
    horizon = timezone.localdate() + dt.timedelta(days=30)
    dates = [next_monday + dt.timedelta(weeks=week) for week in range(8)]
    assert [a["appointment_date"] for a in body["appointments"]] == [
        date.isoformat() for date in dates if date <= horizon
    ]
    assert body["pending_dates"] == [date.isoformat() for date in dates if date > horizon]
    assert body["skipped"] == []


def test_the_worker_books_waiting_dates_when_the_horizon_reaches_them(
    near_horizon, settings, patient, professional, weekly_schedule, next_monday, api_client_for
):
    series = services.appointment_series_book(
        patient=patient,
        psychologist=professional,
        start_date=next_monday,
        start_time=dt.time(9),
        frequency="weekly",
        count=8,
    )
    waiting = list(
        SeriesDate.objects.filter(series=series, status=SeriesDateStatus.PENDING).order_by("date")
    )
    assert len(waiting) >= 3
    # While the horizon has not moved, nothing is due.
    assert book_series_dates.call(series_id=series.pk) == {"booked": 0, "skipped": 0}
    blocked_day, taken_day = waiting[0].date, waiting[1].date
    BlockedDateFactory(psychologist=professional, date=blocked_day)
    _taken(professional, taken_day, 9)

    settings.PSICO_SCHEDULING = {"MAX_DAYS_AHEAD": 90}  # the days go by
    outcome = book_series_dates.call(series_id=series.pk)

    assert outcome == {"booked": len(waiting) - 2, "skipped": 2}
    body = api_client_for(patient, language="en").get(series_url(series.pk)).json()
    assert body["pending_dates"] == []
    assert body["skipped"] == [
        {"date": blocked_day.isoformat(), "reason": BLOCKED_EN},
        {"date": taken_day.isoformat(), "reason": BUSY_EN},
    ]
    assert len(body["appointments"]) == 8 - 2
    assert (
        AppointmentEvent.objects.filter(
            appointment__series=series, name="appointment.booked"
        ).count()
        == 8 - 2
    )
    # Run again: nothing is booked twice.
    assert book_series_dates.call(series_id=series.pk) == {"booked": 0, "skipped": 0}


def test_the_command_books_every_series_due_and_skips_cancelled_dates(
    near_horizon, settings, patient, professional, weekly_schedule, next_monday
):
    kept = services.appointment_series_book(
        patient=patient,
        psychologist=professional,
        start_date=next_monday,
        start_time=dt.time(9),
        frequency="weekly",
        count=8,
    )
    other = PatientFactory()
    dropped = services.appointment_series_book(
        patient=other,
        psychologist=professional,
        start_date=next_monday,
        start_time=dt.time(10),
        frequency="weekly",
        count=8,
    )
    services.appointment_series_cancel(
        series=dropped, by=other, reason="Alta", from_date=next_monday + dt.timedelta(weeks=5)
    )
    waiting = SeriesDate.objects.filter(status=SeriesDateStatus.PENDING).count()
    assert SeriesDate.objects.filter(series=dropped, status=SeriesDateStatus.CANCELLED).count() == 3
    settings.PSICO_SCHEDULING = {"MAX_DAYS_AHEAD": 90}
    out = io.StringIO()

    call_command("book_series_dates", stdout=out)

    assert out.getvalue().strip() == f"Booked {waiting} series date(s); skipped 0."
    assert Appointment.objects.filter(series=kept).count() == 8
    # The cancelled dates were never booked.
    assert Appointment.objects.filter(series=dropped).count() == 5
    assert not SeriesDate.objects.filter(status=SeriesDateStatus.PENDING).exists()


def test_a_series_with_waiting_dates_enqueues_the_worker_for_the_horizon(
    near_horizon,
    settings,
    patient,
    professional,
    weekly_schedule,
    next_monday,
    django_capture_on_commit_callbacks,
):
    from psico_core.tasks_compat import task_backends

    settings.TASKS = {
        "default": {
            "BACKEND": IMMEDIATE_BACKEND.replace("immediate.ImmediateBackend", "dummy.DummyBackend")
        }
    }
    with django_capture_on_commit_callbacks(execute=True):
        series = services.appointment_series_book(
            patient=patient,
            psychologist=professional,
            start_date=next_monday,
            start_time=dt.time(9),
            frequency="weekly",
            count=8,
        )
    first_waiting = (
        SeriesDate.objects.filter(series=series, status=SeriesDateStatus.PENDING)
        .order_by("date")
        .first()
    )
    results = task_backends["default"].results
    assert [
        (r.task.name, r.args, r.kwargs)
        for r in results
        if r.task.name != "relay_appointment_events"
    ] == [("book_series_dates", [], {"series_id": series.pk})]
    opens = timezone.make_aware(
        dt.datetime.combine(first_waiting.date - dt.timedelta(days=30), dt.time(0))
    )
    enqueued = next(r for r in results if r.task.name == "book_series_dates")
    assert enqueued.task.run_after == opens + dt.timedelta(minutes=1)


# -- query counts ----------------------------------------------------------------------------

# What booking one date of a series costs: appointment_book's own queries (the savepoint, the
# locks, who may take whom, the calendar, the patient's overlaps, the waiting list's holds on
# that time, the fee, the insert and its outbox row), whatever the length of the series.
QUERIES_PER_DATE = 16


def _queries_of_a_series(count, *, patient, professional, start_date):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        services.appointment_series_book(
            patient=patient,
            psychologist=professional,
            start_date=start_date,
            start_time=dt.time(9),
            frequency="weekly",
            count=count,
        )
    return len(captured)


def test_a_52_week_series_costs_a_bounded_number_of_queries_per_date(
    settings, patient, professional, weekly_schedule, next_monday
):
    settings.PSICO_SCHEDULING = {"MAX_DAYS_AHEAD": 400}
    short = _queries_of_a_series(
        2, patient=patient, professional=professional, start_date=next_monday
    )
    long = _queries_of_a_series(
        52,
        patient=PatientFactory(),
        professional=professional,
        start_date=next_monday + dt.timedelta(days=1),
    )
    assert Appointment.objects.filter(series__isnull=False).count() == 54
    assert (long - short) == 50 * QUERIES_PER_DATE, (short, long)
    assert long <= 10 + 52 * QUERIES_PER_DATE


def test_the_series_list_costs_the_same_for_one_series_or_many(
    patient, professional, weekly_schedule, next_monday, api_client_for, django_assert_num_queries
):
    client = api_client_for(patient)
    for hour in (9,):
        services.appointment_series_book(
            patient=patient,
            psychologist=professional,
            start_date=next_monday,
            start_time=dt.time(hour),
            frequency="weekly",
            count=4,
        )
    client.get(SERIES)  # the token and the session warm up once
    with django_assert_num_queries(5) as one:
        assert len(client.get(SERIES).json()["results"]) == 1
    for hour in (10, 11, 12):
        services.appointment_series_book(
            patient=patient,
            psychologist=professional,
            start_date=next_monday,
            start_time=dt.time(hour),
            frequency="weekly",
            count=4,
        )
    with django_assert_num_queries(len(one.captured_queries)):
        body = client.get(SERIES).json()
    assert len(body["results"]) == 4
    assert sum(len(item["appointments"]) for item in body["results"]) == 16


# -- the admin -------------------------------------------------------------------------------


def test_the_admin_shows_series_read_only(client, clinic_admin, series, professional):
    client.force_login(clinic_admin)
    changelist = client.get("/admin/psico_scheduling/appointmentseries/", {"q": professional.email})
    change = client.get(f"/admin/psico_scheduling/appointmentseries/{series.pk}/change/")
    add = client.get("/admin/psico_scheduling/appointmentseries/add/")

    assert changelist.status_code == 200
    assert str(series.patient) in changelist.text
    assert change.status_code == 200
    assert 'name="_save"' not in change.text
    assert add.status_code == 403
