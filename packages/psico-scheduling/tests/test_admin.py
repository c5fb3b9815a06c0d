import datetime as dt

import pytest
from django.urls import reverse
from psico_accounts.testing.factories import TEST_PASSWORD
from psico_scheduling.models import AppointmentStatus, WeeklyAvailability
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
