"""The waiting list: patients queue for a professional; a cancelled or moved appointment's
time is held for the first in line, who alone may book it until the hold expires."""

import datetime as dt
import io
import threading

import pytest
from django.core.management import call_command
from django.db import connections
from django.test import override_settings
from django.utils import timezone
from psico_accounts.testing.factories import PatientFactory, ProfessionalFactory
from psico_scheduling import services
from psico_scheduling.models import (
    Appointment,
    AppointmentEvent,
    AppointmentEventName,
    WaitlistEntry,
    WaitlistOffer,
    WaitlistOfferStatus,
    WaitlistStatus,
)
from psico_scheduling.tasks import relay_appointment_events
from psico_scheduling.testing.dates import next_weekday
from psico_scheduling.testing.factories import weekly_schedule_for

from .conftest import APPOINTMENTS, AVAILABLE_SLOTS, SEARCH

WAITLIST = "/api/appointments/waitlist/"
HELD = "This time is being held for a patient on the waiting list; please choose another time."


def _join(patient, professional, day, times=()):
    return services.waitlist_entry_create(
        patient=patient, psychologist=professional, date_from=day, date_to=day, times=times
    )


def _cancel_and_relay(appointment, by):
    services.appointment_cancel(appointment=appointment, by=by, reason="Viaje")
    relay_appointment_events.call()


@pytest.fixture
def freed(patient, professional, weekly_schedule, next_monday, book):
    """``patient`` had Monday 10:00 and the two waiting patients queue for that day: first
    ``first``, then ``second``. ``freed()`` cancels and relays; returns (first, second)."""
    appointment = book(patient, professional, next_monday, "10:00")
    first, second = PatientFactory(), PatientFactory()
    _join(first, professional, next_monday)
    _join(second, professional, next_monday)

    def free():
        _cancel_and_relay(appointment, patient)
        return first, second

    return appointment, free


@pytest.mark.django_db
def test_a_cancelled_time_is_held_for_the_first_in_line_with_an_event(freed, next_monday):
    appointment, free = freed
    first, second = free()
    offer = WaitlistOffer.objects.get()
    assert offer.entry.patient == first
    assert offer.start == appointment.start and offer.status == WaitlistOfferStatus.HELD
    assert offer.expires_at == offer.created_at + dt.timedelta(minutes=30) or (
        offer.expires_at - timezone.now() <= dt.timedelta(minutes=30)
    )
    event = AppointmentEvent.objects.get(name=AppointmentEventName.WAITLIST_OFFERED)
    assert event.appointment_id == appointment.pk
    assert event.dispatched_at is not None  # the same relay sent it
    assert event.payload["patient_id"] == first.pk
    assert event.payload["offer_id"] == offer.pk
    assert event.payload["start"] == appointment.start.astimezone(dt.UTC).isoformat()


@pytest.mark.django_db
@override_settings(PSICO_SCHEDULING={"WAITLIST_HOLD_MINUTES": 45})
def test_the_hold_lasts_the_setting(freed):
    _appointment, free = freed
    before = timezone.now()
    free()
    offer = WaitlistOffer.objects.get()
    assert before + dt.timedelta(minutes=45) <= offer.expires_at
    assert offer.expires_at <= timezone.now() + dt.timedelta(minutes=45)


@pytest.mark.django_db
def test_only_the_holder_books_the_held_time(freed, next_monday, post_booking):
    _appointment, free = freed
    first, second = free()
    stranger = PatientFactory()
    refused = post_booking(stranger, freed[0].psychologist, next_monday, "10:00", language="es")
    assert refused.status_code == 400
    assert refused.json()["non_field_errors"] == [
        "Este horario está reservado para un paciente de la lista de espera; elija otro horario."
    ]
    booked = post_booking(first, freed[0].psychologist, next_monday, "10:00")
    assert booked.status_code == 201, booked.content
    assert WaitlistOffer.objects.get().status == WaitlistOfferStatus.BOOKED
    assert WaitlistEntry.objects.get(patient=first).status == WaitlistStatus.BOOKED
    assert WaitlistEntry.objects.get(patient=second).status == WaitlistStatus.ACTIVE


@pytest.mark.django_db
def test_the_buffer_around_a_held_time_is_kept(freed, professional, next_monday, settings):
    _appointment, free = freed
    free()
    settings.PSICO_SCHEDULING = {"BUFFER_MINUTES": 15, "SLOT_STEP_MINUTES": 30}
    with pytest.raises(services.ValidationError) as refused:
        services.appointment_book(
            patient=PatientFactory(),
            psychologist=professional,
            date=next_monday,
            start_time=dt.time(11),
        )
    assert refused.value.error_list[0].message == services.HELD_FOR_WAITLIST


@pytest.mark.django_db
def test_a_reschedule_into_the_held_time_is_refused_to_others(
    freed, professional, next_monday, book
):
    _appointment, free = freed
    free()
    other = PatientFactory()
    theirs = book(other, professional, next_monday, "14:00")
    with pytest.raises(services.ValidationError) as refused:
        services.appointment_update(appointment=theirs, by=other, start_time=dt.time(10))
    assert refused.value.error_list[0].message == services.HELD_FOR_WAITLIST


@pytest.mark.django_db
def test_available_slots_hide_the_held_time_from_others_only(
    freed, professional, next_monday, api_client_for
):
    _appointment, free = freed
    first, _second = free()
    query = {"psychologist": professional.pk, "date": next_monday.isoformat()}

    def starts(client):
        return [slot["start_time"] for slot in client.get(AVAILABLE_SLOTS, query).json()["slots"]]

    assert "10:00" in starts(api_client_for(first))
    assert "10:00" not in starts(api_client_for(PatientFactory()))
    assert "10:00" not in starts(api_client_for(None))

    def found(client):
        results = client.get(SEARCH, {"date": next_monday.isoformat()}).json()["results"]
        [mine] = [item for item in results if item["id"] == professional.pk]
        return [slot["start_time"] for slot in mine["available_slots"]]

    assert "10:00" in found(api_client_for(first))
    assert "10:00" not in found(api_client_for(None))


@pytest.mark.django_db
def test_the_holder_may_move_an_appointment_into_the_held_time(
    freed, professional, next_monday, book
):
    _appointment, free = freed
    first, _second = free()
    theirs = book(first, professional, next_monday, "15:00")
    services.appointment_update(appointment=theirs, by=first, start_time=dt.time(10))
    assert WaitlistOffer.objects.get().status == WaitlistOfferStatus.BOOKED
    assert WaitlistEntry.objects.get(patient=first).status == WaitlistStatus.BOOKED


@pytest.mark.django_db
def test_an_expired_hold_goes_to_the_next_in_line(freed):
    _appointment, free = freed
    first, second = free()
    offer = WaitlistOffer.objects.get()
    WaitlistOffer.objects.filter(pk=offer.pk).update(expires_at=timezone.now())
    out = io.StringIO()
    call_command("waitlist_sweep", stdout=out)
    assert "Expired 1 hold(s), made 1 new offer(s)" in out.getvalue()
    offer.refresh_from_db()
    assert offer.status == WaitlistOfferStatus.EXPIRED
    following = WaitlistOffer.objects.get(status=WaitlistOfferStatus.HELD)
    assert following.entry.patient == second and following.start == offer.start
    # The first keeps waiting for another time, and is never offered this one again.
    assert WaitlistEntry.objects.get(patient=first).status == WaitlistStatus.ACTIVE
    WaitlistOffer.objects.filter(pk=following.pk).update(expires_at=timezone.now())
    assert services.waitlist_offer_expire(offer_id=following.pk) is None
    assert not WaitlistOffer.objects.filter(status=WaitlistOfferStatus.HELD).exists()


@pytest.mark.django_db
def test_an_unexpired_hold_is_not_expired_early(freed):
    _appointment, free = freed
    free()
    offer = WaitlistOffer.objects.get()
    assert services.waitlist_offer_expire(offer_id=offer.pk) is None
    offer.refresh_from_db()
    assert offer.status == WaitlistOfferStatus.HELD


@pytest.mark.django_db
def test_withdrawing_releases_the_hold_to_the_next(freed, api_client_for):
    _appointment, free = freed
    first, second = free()
    entry = WaitlistEntry.objects.get(patient=first)
    assert api_client_for(second).delete(f"{WAITLIST}{entry.pk}/").status_code == 404
    assert api_client_for(first).delete(f"{WAITLIST}{entry.pk}/").status_code == 204
    entry.refresh_from_db()
    assert entry.status == WaitlistStatus.WITHDRAWN
    assert WaitlistOffer.objects.get(status=WaitlistOfferStatus.HELD).entry.patient == second
    # Gone for the patient; kept (withdrawn) for the clinic.
    assert api_client_for(first).get(f"{WAITLIST}{entry.pk}/").status_code == 404
    assert api_client_for(first).delete(f"{WAITLIST}{entry.pk}/").status_code == 404


@pytest.mark.django_db
def test_an_ended_entry_cannot_be_withdrawn(freed, next_monday, post_booking, api_client_for):
    _appointment, free = freed
    first, _second = free()
    assert post_booking(first, freed[0].psychologist, next_monday, "10:00").status_code == 201
    entry = WaitlistEntry.objects.get(patient=first)
    refused = api_client_for(first, language="en").delete(f"{WAITLIST}{entry.pk}/")
    assert refused.status_code == 400
    assert refused.json()["non_field_errors"] == ["This waiting list entry has already ended."]
    shown = api_client_for(first).get(f"{WAITLIST}{entry.pk}/").json()
    assert shown["status"] == "booked" and shown["ended_at"] is not None


@pytest.mark.django_db
def test_a_rescheduled_appointment_frees_its_previous_time(
    patient, professional, weekly_schedule, next_monday, book
):
    appointment = book(patient, professional, next_monday, "10:00")
    waiting = PatientFactory()
    _join(waiting, professional, next_monday, times=[(dt.time(9), dt.time(12))])
    services.appointment_update(appointment=appointment, by=patient, start_time=dt.time(15))
    relay_appointment_events.call()
    offer = WaitlistOffer.objects.get()
    assert offer.entry.patient == waiting
    assert offer.start.astimezone(timezone.get_current_timezone()).time() == dt.time(10)


@pytest.mark.django_db
def test_times_and_busy_patients_are_skipped(
    patient, professional, weekly_schedule, next_monday, book
):
    appointment = book(patient, professional, next_monday, "10:00")
    afternoons, busy, mornings = PatientFactory(), PatientFactory(), PatientFactory()
    _join(afternoons, professional, next_monday, times=[(dt.time(14), dt.time(18))])
    _join(busy, professional, next_monday)
    other_professional = ProfessionalFactory()
    weekly_schedule_for(other_professional)
    book(busy, other_professional, next_monday, "10:00")
    _join(mornings, professional, next_monday, times=[(dt.time(9), dt.time(11))])
    _cancel_and_relay(appointment, patient)
    assert WaitlistOffer.objects.get().entry.patient == mornings


@pytest.mark.django_db
def test_a_blocked_freed_time_is_not_offered(
    patient, professional, weekly_schedule, next_monday, book
):
    appointment = book(patient, professional, next_monday, "10:00")
    _join(PatientFactory(), professional, next_monday)
    services.blocked_date_create(psychologist=professional, date=next_monday)
    _cancel_and_relay(appointment, patient)
    assert not WaitlistOffer.objects.exists()


@pytest.mark.django_db
def test_a_relayed_twice_event_offers_once(freed):
    _appointment, free = freed
    free()
    cancelled = AppointmentEvent.objects.get(name=AppointmentEventName.CANCELLED)
    AppointmentEvent.objects.filter(pk=cancelled.pk).update(dispatched_at=None)
    relay_appointment_events.call()
    assert WaitlistOffer.objects.count() == 1


@pytest.mark.django_db
def test_passed_windows_end(patient, professional, weekly_schedule, next_monday):
    entry = _join(patient, professional, next_monday)
    WaitlistEntry.objects.filter(pk=entry.pk).update(
        date_from=next_monday - dt.timedelta(days=30), date_to=next_monday - dt.timedelta(days=20)
    )
    assert services.waitlist_sweep()["ended_entries"] == 1
    entry.refresh_from_db()
    assert entry.status == WaitlistStatus.EXPIRED and entry.ended_at is not None


# -- the API -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_post_list_and_retrieve_own_entries(
    patient,
    professional,
    weekly_schedule,
    next_monday,
    api_client_for,
    django_assert_max_num_queries,
):
    client = api_client_for(patient)
    created = client.post(
        WAITLIST,
        {
            "psychologist": professional.pk,
            "date_from": next_monday.isoformat(),
            "date_to": (next_monday + dt.timedelta(days=7)).isoformat(),
            "times": [{"start": "14:00", "end": "18:00"}, {"start": "08:00", "end": "10:00"}],
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["status"] == "active" and body["offer"] is None
    assert body["times"] == [{"start": "08:00", "end": "10:00"}, {"start": "14:00", "end": "18:00"}]
    assert body["psychologist"]["id"] == professional.pk
    for _ in range(3):
        _join(PatientFactory(), professional, next_monday)
    with django_assert_max_num_queries(5):
        listed = client.get(WAITLIST)
    assert [entry["id"] for entry in listed.json()["results"]] == [body["id"]]
    assert client.get(f"{WAITLIST}{body['id']}/").json()["id"] == body["id"]
    assert api_client_for(PatientFactory()).get(f"{WAITLIST}{body['id']}/").status_code == 404


@pytest.mark.django_db
def test_the_list_shows_the_held_time(freed, api_client_for):
    _appointment, free = freed
    first, _second = free()
    offer = WaitlistOffer.objects.get()
    shown = api_client_for(first).get(WAITLIST).json()["results"][0]["offer"]
    assert shown["start_time"] == "10:00"
    assert dt.datetime.fromisoformat(shown["expires_at"]) == offer.expires_at


@pytest.mark.django_db
def test_one_active_entry_per_professional(
    patient, professional, weekly_schedule, next_monday, api_client_for
):
    client = api_client_for(patient, language="es")
    payload = {
        "psychologist": professional.pk,
        "date_from": next_monday.isoformat(),
        "date_to": next_monday.isoformat(),
    }
    assert client.post(WAITLIST, payload, format="json").status_code == 201
    second = client.post(WAITLIST, payload, format="json")
    assert second.status_code == 400
    assert "lista de espera" in second.json()["non_field_errors"][0]


@pytest.mark.django_db
def test_professionals_and_admins_cannot_wait(professional, clinic_admin, api_client_for):
    for user in (professional, clinic_admin):
        response = api_client_for(user).post(WAITLIST, {}, format="json")
        assert response.status_code == 403
    assert api_client_for(None).get(WAITLIST).status_code in (401, 403)


# -- the race ------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_holder_wins_a_race_for_the_held_time(api_client_for):
    professional = ProfessionalFactory()
    weekly_schedule_for(professional)
    monday = next_weekday(0)
    leaving, holder, other = PatientFactory(), PatientFactory(), PatientFactory()
    appointment = services.appointment_book(
        patient=leaving, psychologist=professional, date=monday, start_time=dt.time(10)
    )
    _join(holder, professional, monday)
    _cancel_and_relay(appointment, leaving)
    assert WaitlistOffer.objects.get().entry.patient == holder
    payload = {
        "psychologist": professional.pk,
        "appointment_date": monday.isoformat(),
        "start_time": "10:00",
    }
    clients = {
        "holder": api_client_for(holder, language="en"),
        "other": api_client_for(other, language="en"),
    }
    barrier = threading.Barrier(2)
    outcomes = {}

    def race(name):
        try:
            barrier.wait(timeout=30)
            response = clients[name].post(APPOINTMENTS, payload, format="json")
            outcomes[name] = (response.status_code, response.json())
        except Exception as error:
            outcomes[name] = (500, repr(error))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=race, args=(name,)) for name in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert outcomes["holder"][0] == 201, outcomes
    assert outcomes["other"][0] == 400, outcomes
    assert outcomes["other"][1]["non_field_errors"][0] in (
        HELD,
        "The professional already has an appointment at that time.",
    )
    booked = Appointment.objects.active().get(psychologist=professional)
    assert booked.patient == holder
    assert WaitlistEntry.objects.get(patient=holder).status == WaitlistStatus.BOOKED


# -- the admin -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_admin_shows_the_line_and_its_offers_read_only(freed, client, clinic_admin):
    from django.urls import reverse
    from psico_accounts.testing.factories import TEST_PASSWORD

    _appointment, free = freed
    first, _second = free()
    client.login(email=clinic_admin.email, password=TEST_PASSWORD)
    changelist = reverse("admin:psico_scheduling_waitlistentry_changelist")
    found = client.get(changelist, {"q": first.email})
    assert found.status_code == 200 and found.context["cl"].result_count == 1
    entry = WaitlistEntry.objects.get(patient=first)
    page = client.get(reverse("admin:psico_scheduling_waitlistentry_change", args=[entry.pk]))
    assert page.status_code == 200
    assert "held" in page.content.decode().lower()
    assert client.post(reverse("admin:psico_scheduling_waitlistentry_add")).status_code == 403
