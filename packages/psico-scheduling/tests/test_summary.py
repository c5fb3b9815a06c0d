"""GET /api/appointments/summary/?month=YYYY-MM: a month of sessions and fees."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from psico_accounts.testing.factories import PatientFactory, ProfessionalFactory
from psico_scheduling.models import AppointmentStatus
from psico_scheduling.selectors import professional_time_zone
from psico_scheduling.testing.factories import AppointmentFactory

pytestmark = pytest.mark.django_db

SUMMARY = "/api/appointments/summary/"


def next_month_first() -> dt.date:
    return (timezone.localdate().replace(day=1) + dt.timedelta(days=31)).replace(day=1)


@pytest.fixture
def month_of_sessions(patient, professional):
    """Next month's appointments of ``professional``, one of each kind, plus two that must
    not count: one just before the month (in the professional's zone) and one of another
    professional."""
    zone = professional_time_zone(professional)
    first = next_month_first()

    def at(day: int, hour: int = 10, **kwargs):
        start = dt.datetime.combine(first + dt.timedelta(days=day), dt.time(hour), zone)
        defaults = {"patient": patient, "psychologist": professional, "start": start}
        return AppointmentFactory(**(defaults | kwargs))

    at(0, status=AppointmentStatus.COMPLETED, payment_status="paid", fee=Decimal("200"))
    at(1, status=AppointmentStatus.COMPLETED, payment_status="unpaid", fee=Decimal("200"))
    at(2, status=AppointmentStatus.NO_SHOW, payment_status="waived", fee=Decimal("150.5"))
    at(3, status=AppointmentStatus.CANCELLED, payment_status="unpaid", fee=Decimal("200"))
    at(4, status=AppointmentStatus.CANCELLED, payment_status="paid", fee=Decimal("100"))
    at(5, status=AppointmentStatus.CONFIRMED, payment_status="unpaid", fee=None)
    at(6, status=AppointmentStatus.PENDING, payment_status="unpaid", fee=Decimal("200"))
    # 23:30 on the last day of the previous month, local: already next month in UTC.
    at(-1, hour=23, status=AppointmentStatus.COMPLETED, payment_status="paid", fee=Decimal("9"))
    at(
        7,
        psychologist=ProfessionalFactory(),
        status=AppointmentStatus.COMPLETED,
        payment_status="paid",
        fee=Decimal("1000"),
    )
    return first


def month_text(first: dt.date) -> str:
    return first.strftime("%Y-%m")


def test_a_professionals_month(
    month_of_sessions, professional, api_client_for, django_assert_num_queries
):
    client = api_client_for(professional)

    with django_assert_num_queries(3):  # the token, the zones, one aggregate
        response = client.get(SUMMARY, {"month": month_text(month_of_sessions)})

    assert response.status_code == 200, response.json()
    assert response.json() == {
        "month": month_text(month_of_sessions),
        "psychologist": professional.pk,
        "sessions": {
            "total": 7,
            "pending": 1,
            "confirmed": 1,
            "cancelled": 2,
            "completed": 2,
            "no_show": 1,
        },
        # The cancelled unpaid one owes nothing; the charged late cancellation counts.
        "fees": {"unpaid": "400.00", "paid": "300.00", "waived": "150.50"},
    }


def test_the_number_of_queries_does_not_grow_with_the_month(
    month_of_sessions, professional, patient, api_client_for, django_assert_num_queries
):
    zone = professional_time_zone(professional)
    for day in range(8, 28):
        start = dt.datetime.combine(month_of_sessions + dt.timedelta(days=day), dt.time(9), zone)
        AppointmentFactory(patient=patient, psychologist=professional, start=start)
    client = api_client_for(professional)

    with django_assert_num_queries(3):
        response = client.get(SUMMARY, {"month": month_text(month_of_sessions)})

    assert response.json()["sessions"]["total"] == 27


def test_an_empty_month_is_zeros(professional, api_client_for):
    response = api_client_for(professional).get(SUMMARY, {"month": "2026-01"})

    assert response.status_code == 200
    assert response.json()["sessions"]["total"] == 0
    assert response.json()["fees"] == {"unpaid": "0.00", "paid": "0.00", "waived": "0.00"}


def test_a_clinic_admin_reads_the_clinic_or_one_professional(
    month_of_sessions, professional, clinic_admin, api_client_for, django_assert_num_queries
):
    client = api_client_for(clinic_admin)
    month = month_text(month_of_sessions)

    clinic = client.get(SUMMARY, {"month": month})
    with django_assert_num_queries(4):  # the token, the professional, the zones, the aggregate
        one = client.get(SUMMARY, {"month": month, "psychologist": professional.pk})

    assert clinic.status_code == one.status_code == 200
    assert clinic.json()["psychologist"] is None
    assert clinic.json()["sessions"]["total"] == 8
    assert clinic.json()["fees"]["paid"] == "1300.00"
    assert one.json()["psychologist"] == professional.pk
    assert one.json()["sessions"]["total"] == 7


def test_an_admin_naming_someone_who_is_not_a_professional_gets_404(
    patient, clinic_admin, api_client_for
):
    client = api_client_for(clinic_admin)
    for pk in (patient.pk, 987654):
        response = client.get(SUMMARY, {"month": "2026-01", "psychologist": pk})
        assert response.status_code == 404


def test_a_professional_cannot_read_someone_elses_summary(
    month_of_sessions, professional, api_client_for
):
    other = ProfessionalFactory()
    response = api_client_for(other, language="en").get(
        SUMMARY, {"month": month_text(month_of_sessions), "psychologist": professional.pk}
    )

    assert response.status_code == 400
    assert "Only clinic admins" in " ".join(response.json()["psychologist"])
    own = api_client_for(other).get(SUMMARY, {"month": month_text(month_of_sessions)})
    assert own.json()["sessions"]["total"] == 0


@pytest.mark.parametrize(("who", "expected"), [("patient", 403), ("anonymous", 401)])
def test_patients_and_anonymous_are_refused(api_client_for, who, expected):
    user = PatientFactory() if who == "patient" else None
    response = api_client_for(user).get(SUMMARY, {"month": "2026-01"})
    assert response.status_code == expected


@pytest.mark.parametrize(
    "month",
    [
        "2026-13",
        "2026-00",
        "０２０２６-01",
        "２０２６-01",
        "٢٠٢٦-٠١",
        "2026-1",
        "2026-01-01",
        "26-01",
        " 2026-01",
        "2026-01\n",
        "2026/01",
        "x" * 20_000,
        " ".join(["2026-01"] * 5000),
        "0000-01",
        "10000-01",
        "0001-01",
        "9999-12",
        "",
    ],
    ids=lambda value: repr(value[:12]),
)
def test_a_hostile_month_is_a_400(
    professional, api_client_for, django_assert_max_num_queries, month
):
    client = api_client_for(professional)

    with django_assert_max_num_queries(1):  # the token only: refused before any other query
        response = client.get(SUMMARY, {"month": month})

    assert response.status_code == 400, response.content
    assert list(response.json()) == ["month"]


def test_month_is_required_and_sent_once(professional, api_client_for):
    client = api_client_for(professional)

    missing = client.get(SUMMARY)
    repeated = client.get(SUMMARY, {"month": ["2026-01", "2026-02"]})

    assert missing.status_code == repeated.status_code == 400
    assert "month" in missing.json() and "month" in repeated.json()


@pytest.mark.parametrize("psychologist", ["x" * 20_000, "１", "-1", "99999999999999999999"])
def test_a_hostile_psychologist_is_a_400(clinic_admin, api_client_for, psychologist):
    response = api_client_for(clinic_admin).get(
        SUMMARY, {"month": "2026-01", "psychologist": psychologist}
    )
    assert response.status_code == 400
    assert "psychologist" in response.json()
