import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from psico_accounts.testing.factories import TEST_PASSWORD
from psico_scheduling import services
from psico_scheduling.models import (
    AppointmentEvent,
    AppointmentStatus,
    BlockedDate,
    WeeklyAvailability,
)
from psico_scheduling.testing.factories import (
    AppointmentFactory,
    BlockedDateFactory,
    WeeklyAvailabilityFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_(client, clinic_admin):
    client.login(email=clinic_admin.email, password=TEST_PASSWORD)
    return client


@pytest.mark.parametrize("model", ["appointment", "weeklyavailability", "blockeddate"])
def test_changelists_search_and_filter(admin_client_, model, appointment):
    WeeklyAvailabilityFactory(psychologist=appointment.psychologist)
    BlockedDateFactory(psychologist=appointment.psychologist)
    url = reverse(f"admin:psico_scheduling_{model}_changelist")
    assert admin_client_.get(url).status_code == 200
    response = admin_client_.get(url, {"q": appointment.psychologist.email})
    assert response.status_code == 200
    assert response.context["cl"].result_count == 1


def test_appointment_filters_by_status(admin_client_, appointment):
    AppointmentFactory(cancelled=True)
    url = reverse("admin:psico_scheduling_appointment_changelist")
    response = admin_client_.get(url, {"status__exact": "cancelled"})
    assert response.context["cl"].result_count == 1


def test_status_actions_go_through_the_services(admin_client_, appointment):
    past = AppointmentFactory(past=True, status=AppointmentStatus.PENDING)
    url = reverse("admin:psico_scheduling_appointment_changelist")
    admin_client_.post(
        url, {"action": "confirm_appointments", "_selected_action": [appointment.pk, past.pk]}
    )
    appointment.refresh_from_db()
    past.refresh_from_db()
    assert appointment.status == AppointmentStatus.CONFIRMED
    assert past.status == AppointmentStatus.PENDING  # already started: the service refuses

    admin_client_.post(url, {"action": "cancel_appointments", "_selected_action": [appointment.pk]})
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CANCELLED
    assert appointment.cancellation_reason


def test_the_rule_form_refuses_overlaps(admin_client_, professional):
    WeeklyAvailabilityFactory(
        psychologist=professional, day_of_week=0, start_time=dt.time(8), end_time=dt.time(12)
    )
    response = admin_client_.post(
        reverse("admin:psico_scheduling_weeklyavailability_add"),
        {
            "psychologist": professional.pk,
            "day_of_week": 0,
            "start_time": "11:00",
            "end_time": "13:00",
            "is_active": "on",
        },
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert WeeklyAvailability.objects.count() == 1


def test_the_rule_form_refuses_a_rule_for_a_patient(admin_client_, patient):
    response = admin_client_.post(
        reverse("admin:psico_scheduling_weeklyavailability_add"),
        {
            "psychologist": patient.pk,
            "day_of_week": 0,
            "start_time": "08:00",
            "end_time": "12:00",
            "is_active": "on",
        },
    )
    assert response.status_code == 200
    assert "psychologist" in response.context["adminform"].form.errors
    assert not WeeklyAvailability.objects.exists()


def test_the_rule_form_saves_and_changes_through_the_services(admin_client_, professional):
    add = reverse("admin:psico_scheduling_weeklyavailability_add")
    body = {"psychologist": professional.pk, "day_of_week": 0, "is_active": "on"}
    response = admin_client_.post(add, body | {"start_time": "08:00", "end_time": "12:00"})
    assert response.status_code == 302
    rule = WeeklyAvailability.objects.get()
    assert (rule.psychologist, rule.start_time) == (professional, dt.time(8))

    change = reverse("admin:psico_scheduling_weeklyavailability_change", args=[rule.pk])
    inverted = admin_client_.post(
        change, {"day_of_week": 0, "start_time": "12:00", "end_time": "09:00", "is_active": "on"}
    )
    assert inverted.status_code == 200
    assert "end_time" in inverted.context["adminform"].form.errors
    rule.refresh_from_db()
    assert rule.end_time == dt.time(12)

    moved = admin_client_.post(
        change, {"day_of_week": 1, "start_time": "09:00", "end_time": "11:00", "is_active": "on"}
    )
    assert moved.status_code == 302
    rule.refresh_from_db()
    assert (rule.day_of_week, rule.start_time, rule.end_time) == (1, dt.time(9), dt.time(11))


def test_the_blocked_date_form_refuses_a_patient_and_a_past_date(
    admin_client_, patient, professional
):
    add = reverse("admin:psico_scheduling_blockeddate_add")
    future = (timezone.localdate() + dt.timedelta(days=10)).isoformat()
    for body in (
        {"psychologist": patient.pk, "date": future},
        {"psychologist": professional.pk, "date": "2000-01-03"},
    ):
        response = admin_client_.post(add, body)
        assert response.status_code == 200
        assert response.context["adminform"].form.errors
    assert not BlockedDate.objects.exists()
    assert (
        admin_client_.post(add, {"psychologist": professional.pk, "date": future}).status_code
        == 302
    )
    assert BlockedDate.objects.get().psychologist == professional


def test_a_closed_appointments_reason_cannot_be_edited(admin_client_):
    closed = AppointmentFactory(past=True, status=AppointmentStatus.COMPLETED, reason="Ansiedad")
    change = reverse("admin:psico_scheduling_appointment_change", args=[closed.pk])
    page = admin_client_.get(change)
    assert "reason" not in page.context["adminform"].form.fields
    admin_client_.post(change, {"reason": "Otra cosa"})
    closed.refresh_from_db()
    assert closed.reason == "Ansiedad"


def test_an_open_appointments_reason_is_edited_through_the_service(admin_client_, appointment):
    change = reverse("admin:psico_scheduling_appointment_change", args=[appointment.pk])
    response = admin_client_.post(change, {"reason": "Duelo"})
    assert response.status_code == 302
    appointment.refresh_from_db()
    assert appointment.reason == "Duelo"

    too_long = admin_client_.post(change, {"reason": "x" * 2001})
    assert too_long.status_code == 200
    appointment.refresh_from_db()
    assert appointment.reason == "Duelo"


def test_an_appointment_reads_in_the_professionals_time_zone(professional):
    profile = professional.professional_profile
    profile.time_zone = "Europe/Madrid"
    profile.save()
    start = dt.datetime(2030, 5, 27, 7, 0, tzinfo=dt.UTC)
    appointment = AppointmentFactory(
        psychologist=professional, start=start, end=start + dt.timedelta(hours=1)
    )
    assert str(appointment).endswith("2030-05-27 09:00 CEST")


def test_the_outbox_is_listed_read_only(admin_client_, appointment, professional):
    services.appointment_confirm(appointment=appointment, by=professional)
    event = AppointmentEvent.objects.get()
    url = reverse("admin:psico_scheduling_appointmentevent_changelist")
    response = admin_client_.get(url, {"q": professional.email, "dispatched_at__isempty": "1"})
    assert response.status_code == 200
    assert response.context["cl"].result_count == 1
    detail = admin_client_.get(
        reverse("admin:psico_scheduling_appointmentevent_change", args=[event.pk])
    )
    assert detail.status_code == 200
    assert admin_client_.post(detail.request["PATH_INFO"], {"name": "x"}).status_code == 403
