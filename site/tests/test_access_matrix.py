"""Who may do what, route by route (OWASP API1 object level, API3 property level, API5 function
level authorization).

``MATRIX`` lists every route of the site's URLconf with every method its view answers, and for
each one the exact status every actor gets. ``test_every_route_and_method_is_in_the_matrix``
walks the real URLconf, so a new route or a new action cannot slip in without a row here.

Actors: anonymous; the owners (the appointment's ``patient`` and ``professional``, who also own
their profiles, availability and blocked dates); ``other_patient`` and ``other_professional``,
who own nothing here; and ``admin`` (clinic administrator, not a participant of anything).
Each case runs on a fresh database, so a mutation in one never leaks into another.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

ACTORS = ("anonymous", "patient", "professional", "other_patient", "other_professional", "admin")
EVERYONE = dict.fromkeys(ACTORS, 200)


def statuses(default: int, **overrides: int) -> dict[str, int]:
    return {actor: overrides.get(actor, default) for actor in ACTORS}


def signed_in(status: int, **overrides: int) -> dict[str, int]:
    """``status`` for every signed-in actor, 401 for the anonymous one."""
    return statuses(status, anonymous=401, **overrides)


def only(status: int, *allowed: str, denied: int = 403, **overrides: int) -> dict[str, int]:
    """``status`` for the ``allowed`` actors, ``denied`` for the others, 401 when anonymous."""
    result = {actor: (status if actor in allowed else denied) for actor in ACTORS}
    result["anonymous"] = 401
    result.update(overrides)
    return result


# --- The world every case starts from ------------------------------------------------------


@dataclass
class World:
    users: dict[str, Any]
    appointment: Any
    past_appointment: Any
    rule: Any
    blocked: Any
    message: Any
    slot_date: dt.date
    slot_time: str

    def user(self, actor: str):
        return self.users.get(actor)


def next_weekday(weekday: int, *, at_least_days: int = 2) -> dt.date:
    day = timezone.localdate() + dt.timedelta(days=at_least_days)
    while day.weekday() != weekday:
        day += dt.timedelta(days=1)
    return day


@pytest.fixture(autouse=True)
def fresh_throttles():
    """Throttle counters live in the cache; each case starts with none spent."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def world(db, settings) -> World:
    from psico_accounts.testing.factories import (
        AdminFactory,
        PatientFactory,
        ProfessionalFactory,
    )
    from psico_chat.testing.factories import ChatMessageFactory
    from psico_scheduling.models import AppointmentStatus
    from psico_scheduling.testing.factories import (
        AppointmentFactory,
        BlockedDateFactory,
        WeeklyAvailabilityFactory,
    )

    # Production hashing costs seconds per case; the matrix is about who may, not about hashes.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    users = {
        "patient": PatientFactory(),
        "professional": ProfessionalFactory(),
        "other_patient": PatientFactory(),
        "other_professional": ProfessionalFactory(),
        "admin": AdminFactory(),
    }
    professional = users["professional"]
    slot_date = next_weekday(2)
    rule = WeeklyAvailabilityFactory(
        psychologist=professional,
        day_of_week=slot_date.weekday(),
        start_time=dt.time(8),
        end_time=dt.time(18),
    )
    start = timezone.make_aware(dt.datetime.combine(slot_date, dt.time(9)))
    appointment = AppointmentFactory(
        patient=users["patient"],
        psychologist=professional,
        start=start,
        end=start + dt.timedelta(hours=1),
        status=AppointmentStatus.PENDING,
    )
    started = timezone.now().replace(microsecond=0) - dt.timedelta(hours=2)
    past_appointment = AppointmentFactory(
        patient=users["patient"],
        psychologist=professional,
        start=started,
        end=started + dt.timedelta(hours=1),
        status=AppointmentStatus.CONFIRMED,
    )
    blocked = BlockedDateFactory(
        psychologist=professional, date=slot_date + dt.timedelta(days=7), reason="Congreso"
    )
    message = ChatMessageFactory(appointment=appointment, sender=users["patient"])
    return World(
        users=users,
        appointment=appointment,
        past_appointment=past_appointment,
        rule=rule,
        blocked=blocked,
        message=message,
        slot_date=slot_date,
        slot_time="11:00",
    )


# --- The matrix ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    method: str
    route: str
    expect: dict[str, int]
    path: Callable[[World], dict[str, Any]] = field(default=lambda world: {})
    query: Callable[[World], dict[str, Any]] = field(default=lambda world: {})
    body: Callable[[World, str], dict[str, Any] | None] = field(default=lambda world, actor: None)
    note: str = ""

    @property
    def id(self) -> str:
        return f"{self.method} /{self.route}"


def own_appointment(world: World) -> dict[str, Any]:
    return {"pk": world.appointment.pk}


def started_appointment(world: World) -> dict[str, Any]:
    return {"pk": world.past_appointment.pk}


def chat_of_appointment(world: World) -> dict[str, Any]:
    return {"appointment_id": world.appointment.pk}


def register_body(world: World, actor: str) -> dict[str, Any]:
    return {
        "email": f"nuevo-{actor}@example.com",
        "password": "Otra-clave-segura-2024",
        "first_name": "Nueva",
        "last_name": "Paciente",
        "ci": "9876543",
    }


def login_body(world: World, actor: str) -> dict[str, Any]:
    from psico_accounts.testing.factories import TEST_PASSWORD

    return {"email": world.users["patient"].email, "password": TEST_PASSWORD}


def password_change_body(world: World, actor: str) -> dict[str, Any]:
    from psico_accounts.testing.factories import TEST_PASSWORD

    return {"old_password": TEST_PASSWORD, "new_password": "Una-clave-nueva-2024"}


def patients_waitlist_entry(world: World):
    """The patient's entry on the professional's waiting list (made on first use)."""
    from psico_scheduling.services import waitlist_entry_create

    return waitlist_entry_create(
        patient=world.users["patient"],
        psychologist=world.users["professional"],
        date_from=world.slot_date,
        date_to=world.slot_date,
    )


def erasure_body(world: World, actor: str) -> dict[str, Any]:
    from psico_accounts.testing.factories import TEST_PASSWORD

    return {"password": TEST_PASSWORD}


def booking_body(world: World, actor: str) -> dict[str, Any]:
    body = {
        "psychologist": world.users["professional"].pk,
        "appointment_date": world.slot_date.isoformat(),
        "start_time": world.slot_time,
        "reason": "Primera consulta",
    }
    if actor == "admin":
        # The front desk books for a patient who phoned; only it may name one.
        body["patient"] = world.users["other_patient"].pk
    return body


def admin_user_body(world: World, actor: str) -> dict[str, Any]:
    return {
        "email": "nueva-psicologa@example.com",
        "password": "Otra-clave-segura-2024",
        "first_name": "Nueva",
        "last_name": "Psicóloga",
        "user_type": "professional",
        "ci": "7654321",
    }


def slots_query(world: World) -> dict[str, Any]:
    return {"psychologist": world.users["professional"].pk, "date": world.slot_date.isoformat()}


def webhook_endpoint(world: World) -> dict[str, Any]:
    from psico_notifications.models import WebhookEndpoint

    endpoint = WebhookEndpoint.objects.create(
        url="https://hooks.example.com/psico",
        events=["appointment.booked"],
        secret="whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        created_by=world.users["admin"],
    )
    return {"pk": endpoint.pk}


def webhook_delivery(world: World) -> dict[str, Any]:
    # A failed message of the world's appointment, so that it may be redelivered.
    from psico_notifications.models import WebhookDelivery, WebhookDeliveryStatus
    from psico_scheduling.models import AppointmentEvent

    event = AppointmentEvent.objects.create(
        appointment=world.appointment, name="appointment.booked", sequence=0
    )
    delivery = WebhookDelivery.objects.create(
        endpoint_id=webhook_endpoint(world)["pk"],
        event=event,
        event_type=event.name,
        message_id="msg_matrix",
        status=WebhookDeliveryStatus.FAILED,
    )
    return {"pk": delivery.pk}


def webhook_endpoint_body(world: World, actor: str) -> dict[str, Any]:
    return {"url": f"https://hooks.example.com/{actor}", "events": ["appointment.booked"]}


def own_series(world: World) -> dict[str, Any]:
    """A weekly series of the world's patient with its professional (booked through the
    service, as the API books it): the second date falls on the blocked day and is skipped."""
    from psico_scheduling.services import appointment_series_book

    series = appointment_series_book(
        patient=world.users["patient"],
        psychologist=world.users["professional"],
        start_date=world.slot_date,
        start_time=dt.time(14),
        frequency="weekly",
        count=2,
    )
    return {"pk": series.pk}


def series_body(world: World, actor: str) -> dict[str, Any]:
    body = {
        "psychologist": world.users["professional"].pk,
        "start_date": world.slot_date.isoformat(),
        "start_time": world.slot_time,
        "frequency": "weekly",
        "count": 2,
    }
    if actor == "admin":
        body["patient"] = world.users["other_patient"].pk
    return body


SERIES = "api/appointments/series/<pk>/"


NOTE_TEXT = "Nota clínica: duelo no resuelto, reevaluar en cuatro semanas."


def clinical_note(world: World) -> dict[str, Any]:
    from psico_records.testing.factories import ClinicalNoteFactory

    return {"pk": ClinicalNoteFactory(appointment=world.appointment, content=NOTE_TEXT).pk}


def patient_device(world: World) -> dict[str, Any]:
    from psico_accounts.services import token_create

    token, _key = token_create(user=world.users["patient"], user_agent="Teléfono")
    return {"pk": token.pk}


def verification_codes(world: World, actor: str) -> dict[str, Any]:
    # The patient's codes: whoever holds them (they travel by email) may use them.
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode
    from psico_accounts.verification import email_verification_token_generator

    patient = world.users["patient"]
    return {
        "uid": urlsafe_base64_encode(force_bytes(patient.pk)),
        "token": email_verification_token_generator.make_token(patient),
    }


def export_link(world: World) -> dict[str, Any]:
    # The patient's export, built as the worker builds it; the query is the emailed link's.
    from urllib.parse import parse_qs, urlsplit

    from django.core import mail
    from psico_accounts.models import PersonalDataExport
    from psico_accounts.services import personal_data_export_build

    export = PersonalDataExport.objects.create(user=world.users["patient"])
    personal_data_export_build(
        export_id=export.pk, download_url="http://testserver/api/users/me/export/download/"
    )
    link = mail.outbox[-1].body.split("http://testserver", 1)[1].split()[0]
    return {"signature": parse_qs(urlsplit(link).query)["signature"][0]}


def totp_code(world: World, actor: str) -> dict[str, Any]:
    # The admin has started setting up an app; the code is the one it shows now.
    from urllib.parse import parse_qs, urlsplit

    import pyotp
    from psico_accounts.services import totp_setup

    uri = totp_setup(user=world.users["admin"])
    return {"code": pyotp.TOTP(parse_qs(urlsplit(uri).query)["secret"][0]).now()}


APPOINTMENT = "api/appointments/appointments/<pk>/"
# Clinic administrators act on any appointment on the clinic's behalf (psico_scheduling's
# services: "the professional (or a clinic admin)"); they are never chat participants.
PARTICIPANTS_AND_ADMIN = only(200, "patient", "professional", "admin", denied=404)
PROFESSIONAL_ACTION = only(
    200, "professional", "admin", patient=403, other_patient=404, other_professional=404
)

MATRIX: list[Case] = [
    # --- accounts: authentication --------------------------------------------------------
    Case("post", "api/auth/register/", statuses(201), body=register_body),
    Case("post", "api/auth/login/", EVERYONE, body=login_body),
    Case("post", "api/auth/logout/", signed_in(204)),
    Case(
        "post",
        "api/auth/password-reset/",
        EVERYONE,
        body=lambda world, actor: {"email": world.users["patient"].email},
    ),
    Case(
        "post",
        "api/auth/password-reset/confirm/",
        statuses(400),
        body=lambda world, actor: {"uid": "MQ", "token": "bad", "new_password": "Xy-12345678"},
        note="a made-up token is refused for everyone; the flow itself is tested in the package",
    ),
    Case("post", "api/auth/password-change/", signed_in(200), body=password_change_body),
    # --- accounts: users -----------------------------------------------------------------
    Case("get", "api/users/me/", signed_in(200)),
    Case("patch", "api/users/me/", signed_in(200), body=lambda world, actor: {"first_name": "X"}),
    Case("get", "api/users/", only(200, "admin")),
    Case("post", "api/users/", only(201, "admin"), body=admin_user_body),
    Case(
        "get", "api/users/<pk>/", only(200, "admin"), path=lambda w: {"pk": w.users["patient"].pk}
    ),
    Case(
        "put",
        "api/users/<pk>/",
        only(200, "admin"),
        path=lambda w: {"pk": w.users["other_patient"].pk},
        body=lambda world, actor: {
            "email": world.users["other_patient"].email,
            "first_name": "Otra",
            "last_name": "Persona",
            "user_type": "patient",
        },
    ),
    Case(
        "patch",
        "api/users/<pk>/",
        only(200, "admin"),
        path=lambda w: {"pk": w.users["patient"].pk},
        body=lambda world, actor: {"first_name": "Cambiado"},
    ),
    Case(
        "delete",
        "api/users/<pk>/",
        only(204, "admin"),
        path=lambda w: {"pk": w.users["other_patient"].pk},
    ),
    # --- accounts: professionals ---------------------------------------------------------
    Case("get", "api/professionals/", EVERYONE),
    Case("get", "api/professionals/specializations/", EVERYONE),
    Case(
        "get",
        "api/professionals/<pk>/",
        EVERYONE,
        path=lambda w: {"pk": w.users["professional"].pk},
    ),
    Case("get", "api/professionals/me/", only(200, "professional", "other_professional")),
    Case(
        "patch",
        "api/professionals/me/",
        only(200, "professional", "other_professional"),
        body=lambda world, actor: {"city": "Cochabamba"},
    ),
    # --- scheduling: availability and blocked dates ---------------------------------------
    Case(
        "get",
        "api/appointments/availability/",
        EVERYONE,
        query=lambda w: {"psychologist": w.users["professional"].pk},
    ),
    Case(
        "post",
        "api/appointments/availability/",
        only(201, "professional", "other_professional"),
        body=lambda world, actor: {"day_of_week": 6, "start_time": "09:00", "end_time": "12:00"},
    ),
    Case(
        "get",
        "api/appointments/availability/<pk>/",
        only(200, "professional", other_professional=404),
        path=lambda w: {"pk": w.rule.pk},
    ),
    Case(
        "patch",
        "api/appointments/availability/<pk>/",
        only(200, "professional", other_professional=404),
        path=lambda w: {"pk": w.rule.pk},
        body=lambda world, actor: {"is_active": False},
    ),
    Case(
        "delete",
        "api/appointments/availability/<pk>/",
        only(204, "professional", other_professional=404),
        path=lambda w: {"pk": w.rule.pk},
    ),
    Case("get", "api/appointments/blocked-dates/", only(200, "professional", "other_professional")),
    Case(
        "post",
        "api/appointments/blocked-dates/",
        only(201, "professional", "other_professional"),
        body=lambda world, actor: {
            "date": (world.slot_date + dt.timedelta(days=14)).isoformat(),
            "reason": "Vacaciones",
        },
    ),
    Case(
        "get",
        "api/appointments/blocked-dates/<pk>/",
        only(200, "professional", other_professional=404),
        path=lambda w: {"pk": w.blocked.pk},
    ),
    Case(
        "delete",
        "api/appointments/blocked-dates/<pk>/",
        only(204, "professional", other_professional=404),
        path=lambda w: {"pk": w.blocked.pk},
    ),
    # --- scheduling: public search --------------------------------------------------------
    Case("get", "api/appointments/available-slots/", EVERYONE, query=slots_query),
    Case(
        "get",
        "api/appointments/search-psychologists/",
        EVERYONE,
        query=lambda w: {"date": w.slot_date.isoformat()},
    ),
    # --- scheduling: appointments ---------------------------------------------------------
    Case("get", "api/appointments/appointments/", signed_in(200)),
    Case(
        "post",
        "api/appointments/appointments/",
        only(201, "patient", "other_patient", "admin"),
        body=booking_body,
    ),
    Case("get", APPOINTMENT, PARTICIPANTS_AND_ADMIN, path=own_appointment),
    Case(
        "patch",
        APPOINTMENT,
        # The reason is the patient's words: the professional may reschedule, not rewrite it.
        only(200, "patient", "admin", professional=403, other_patient=404, other_professional=404),
        path=own_appointment,
        body=lambda world, actor: {"reason": "Prefiero hablar de ansiedad"},
    ),
    Case("post", APPOINTMENT + "confirm/", PROFESSIONAL_ACTION, path=own_appointment),
    Case(
        "post",
        APPOINTMENT + "cancel/",
        PARTICIPANTS_AND_ADMIN,
        path=own_appointment,
        body=lambda world, actor: {"reason": "Viaje imprevisto"},
    ),
    Case("post", APPOINTMENT + "complete/", PROFESSIONAL_ACTION, path=started_appointment),
    Case("post", APPOINTMENT + "no-show/", PROFESSIONAL_ACTION, path=started_appointment),
    # A month's sessions and fees: professionals their own, admins the clinic's (or one
    # professional's with ?psychologist=); what each one's figures hold is tested below.
    Case(
        "get",
        "api/appointments/summary/",
        only(200, "professional", "other_professional", "admin"),
        query=lambda w: {"month": w.slot_date.strftime("%Y-%m")},
    ),
    # Recurring series: patients book their own, the front desk for a patient; the series'
    # patient and professional (and admins) read and cancel it, anyone else gets a 404.
    Case("get", "api/appointments/series/", signed_in(200)),
    Case(
        "post",
        "api/appointments/series/",
        only(201, "patient", "other_patient", "admin"),
        body=series_body,
    ),
    Case("get", SERIES, PARTICIPANTS_AND_ADMIN, path=own_series),
    Case(
        "post",
        SERIES + "cancel/",
        PARTICIPANTS_AND_ADMIN,
        path=own_series,
        body=lambda world, actor: {"reason": "Cambio de horario"},
    ),
    # --- scheduling: the waiting list (a patient's own; the front desk books by phone) ------
    Case("get", "api/appointments/waitlist/", only(200, "patient", "other_patient")),
    Case(
        "post",
        "api/appointments/waitlist/",
        only(201, "patient", "other_patient"),
        body=lambda world, actor: {
            "psychologist": world.users["professional"].pk,
            "date_from": world.slot_date.isoformat(),
            "date_to": world.slot_date.isoformat(),
            "times": [{"start": "08:00", "end": "12:00"}],
        },
    ),
    Case(
        "get",
        "api/appointments/waitlist/<pk>/",
        only(200, "patient", other_patient=404),
        path=lambda w: {"pk": patients_waitlist_entry(w).pk},
    ),
    Case(
        "delete",
        "api/appointments/waitlist/<pk>/",
        only(204, "patient", other_patient=404),
        path=lambda w: {"pk": patients_waitlist_entry(w).pk},
    ),
    # --- chat --------------------------------------------------------------------------------
    Case(
        "get",
        "api/chat/<appointment_id>/messages/",
        only(200, "patient", "professional", denied=404),
        path=chat_of_appointment,
    ),
    Case(
        "post",
        "api/chat/<appointment_id>/messages/",
        only(201, "patient", "professional", denied=404),
        path=chat_of_appointment,
        body=lambda world, actor: {"message": "¿Podemos empezar diez minutos antes?"},
    ),
    # A socket ticket is the signed-in user's own: anyone signed in may ask for one.
    Case("post", "api/chat/ticket/", signed_in(201)),
    # Everyone signed in has an inbox; what is in it is checked below, actor by actor.
    Case("get", "api/chat/conversations/", signed_in(200)),
    # --- notifications -------------------------------------------------------------------------
    # Everyone signed in has their own preferences (what each one sees is tested in the package).
    Case("get", "api/notifications/preferences/", signed_in(200)),
    Case(
        "patch",
        "api/notifications/preferences/",
        signed_in(200),
        body=lambda world, actor: {"email_reminders": False},
    ),
    # Everyone signed in has their own calendar feed (an admin's is empty: they take part in
    # no appointment); what each feed holds is tested in the package.
    Case("get", "api/calendar/feed/", signed_in(200)),
    Case("post", "api/calendar/feed/rotate/", signed_in(200)),
    # No sign-in: the secret is the key, and a wrong one is a 404 for everyone, credentials or
    # not. The real secret's answer is tested below.
    Case(
        "get",
        "api/calendar/<secret>.ics",
        statuses(404),
        path=lambda world: {"secret": "A" * 43},
    ),
    # --- webhooks (clinic administrators only; hostile input is tested in the package) ---------
    Case("get", "api/webhooks/endpoints/", only(200, "admin")),
    Case("post", "api/webhooks/endpoints/", only(201, "admin"), body=webhook_endpoint_body),
    Case("get", "api/webhooks/endpoints/<pk>/", only(200, "admin"), path=webhook_endpoint),
    Case(
        "put",
        "api/webhooks/endpoints/<pk>/",
        only(200, "admin"),
        path=webhook_endpoint,
        body=webhook_endpoint_body,
    ),
    Case(
        "patch",
        "api/webhooks/endpoints/<pk>/",
        only(200, "admin"),
        path=webhook_endpoint,
        body=lambda world, actor: {"is_active": False},
    ),
    Case("delete", "api/webhooks/endpoints/<pk>/", only(204, "admin"), path=webhook_endpoint),
    Case(
        "post",
        "api/webhooks/endpoints/<pk>/rotate-secret/",
        only(200, "admin"),
        path=webhook_endpoint,
    ),
    Case("get", "api/webhooks/deliveries/", only(200, "admin")),
    Case("get", "api/webhooks/deliveries/<pk>/", only(200, "admin"), path=webhook_delivery),
    Case(
        "post",
        "api/webhooks/deliveries/<pk>/redeliver/",
        only(202, "admin"),
        path=webhook_delivery,
    ),
    # --- records: clinical notes (content for their author only) and the audit log --------
    Case("get", "api/records/notes/", only(200, "professional", "other_professional", "admin")),
    Case(
        "post",
        "api/records/notes/",
        only(201, "professional", other_professional=400),
        body=lambda world, actor: {"appointment": world.appointment.pk, "content": "Nota"},
        note="another professional's appointment is one that does not exist for them: 400",
    ),
    Case(
        "get",
        "api/records/notes/<pk>/",
        only(200, "professional", "admin", other_professional=404),
        path=clinical_note,
        note="an admin gets the note's existence and dates, never its content",
    ),
    Case(
        "put",
        "api/records/notes/<pk>/",
        only(200, "professional", other_professional=404),
        path=clinical_note,
        body=lambda world, actor: {"content": "Otra versión"},
    ),
    Case(
        "patch",
        "api/records/notes/<pk>/",
        only(200, "professional", other_professional=404),
        path=clinical_note,
        body=lambda world, actor: {"content": "Otra versión"},
    ),
    Case(
        "get",
        "api/records/notes/<pk>/revisions/",
        only(200, "professional", other_professional=404),
        path=clinical_note,
    ),
    Case("get", "api/audit/events/", only(200, "admin")),
    Case("get", "api/users/me/access-log/", signed_in(200)),
    # --- site ----------------------------------------------------------------------------------
    Case("get", "api/schema/", EVERYONE),
    Case("get", "api/docs/", EVERYONE),
    Case("get", "api/redoc/", EVERYONE),
    Case("get", "healthz", EVERYONE),
    Case("get", "healthz/", EVERYONE),
    # The sockets' AsyncAPI document, and /app (without the slash) sent to the web client.
    Case("get", "api/asyncapi.yaml", EVERYONE),
    Case("get", "app", statuses(302)),
    # --- accounts: devices (per-device tokens) --------------------------------------------------
    Case("post", "api/auth/logout-all/", signed_in(204)),
    Case("get", "api/auth/sessions/", signed_in(200)),
    Case(
        "delete",
        "api/auth/sessions/<pk>/",
        only(204, "patient", denied=404),
        path=patient_device,
        note="another user's device is a 404",
    ),
    # --- accounts: email verification ----------------------------------------------------------
    Case("post", "api/auth/verify-email/", EVERYONE, body=verification_codes),
    Case("post", "api/auth/verify-email/resend/", signed_in(200)),
    # --- accounts: second factor of clinic administrators ---------------------------------------
    Case("post", "api/auth/totp/setup/", only(200, "admin")),
    Case("post", "api/auth/totp/confirm/", only(200, "admin"), body=totp_code),
    # --- accounts: the patient's rights (export, erasure) ----------------------------------------
    Case("post", "api/users/me/export/", signed_in(202)),
    Case(
        "get",
        "api/users/me/export/download/",
        EVERYONE,
        query=export_link,
        note="the emailed link is the credential",
    ),
    Case("delete", "api/users/me/", signed_in(204), body=erasure_body),
    Case(
        "post",
        "api/users/<pk>/erase/",
        only(204, "admin"),
        path=lambda w: {"pk": w.users["other_patient"].pk},
    ),
]

# Routes whose access is Django's own (the admin site, tested below as a whole) or that only
# serve files.
NOT_IN_MATRIX = re.compile(r"^(admin/|media/|static/|\^media/|\^static/)")


# --- Walking the URLconf -------------------------------------------------------------------

_FORMAT_SUFFIX = re.compile(r"\\?\.\(\?P<format>[^)]*\)/?")
_REGEX_GROUP = re.compile(r"\(\?P<(\w+)>[^)]*\)")
_CONVERTER = re.compile(r"<(?:\w+:)?(\w+)>")


def normalize(route: str) -> str:
    """``^appointments/(?P<pk>[^/.]+)/$`` and ``<int:pk>`` both read ``<pk>``."""
    route = _FORMAT_SUFFIX.sub("", route)
    route = _REGEX_GROUP.sub(r"<\1>", route)
    route = _CONVERTER.sub(r"<\1>", route)
    return route.replace("^", "").replace("$", "").replace("\\", "")


def iter_routes(patterns, prefix: str = ""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from iter_routes(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield normalize(prefix + str(pattern.pattern)), pattern.callback


def answered_methods(callback) -> set[str]:
    """The HTTP methods a view answers with something other than 405."""
    actions = getattr(callback, "actions", None)
    if actions:
        return {method for method in actions if method not in ("head", "options")}
    view_class = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    if view_class is not None:
        return {
            method
            for method in view_class.http_method_names
            if method not in ("head", "options", "trace") and hasattr(view_class, method)
        }
    # Function views (healthz) declare theirs through require_* decorators; GET is enough here.
    return {"get"}


def site_routes() -> dict[str, set[str]]:
    routes: dict[str, set[str]] = {}
    for route, callback in iter_routes(get_resolver().url_patterns):
        if NOT_IN_MATRIX.match(route):
            continue
        routes.setdefault(route, set()).update(answered_methods(callback))
    return routes


def test_every_route_and_method_is_in_the_matrix():
    in_matrix = {(case.route, case.method) for case in MATRIX}
    in_urlconf = {(route, method) for route, methods in site_routes().items() for method in methods}
    assert sorted(in_urlconf - in_matrix) == [], "routes/methods with no row in MATRIX"
    assert sorted(in_matrix - in_urlconf) == [], "MATRIX rows for routes the site doesn't have"


# --- Running the matrix --------------------------------------------------------------------


def build_path(case: Case, world: World) -> str:
    path = "/" + case.route
    for name, value in case.path(world).items():
        path = path.replace(f"<{name}>", str(value))
    assert "<" not in path, f"unfilled parameter in {path}"
    return path


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("case", MATRIX, ids=lambda case: case.id)
def test_access(case: Case, actor: str, world: World, api_client_for):
    client = api_client_for(world.user(actor))
    path = build_path(case, world)
    body = case.body(world, actor)
    query = case.query(world)
    if case.method == "get":
        response = client.get(path, query)
    else:
        if query:
            from urllib.parse import urlencode

            path = f"{path}?{urlencode(query)}"
        response = getattr(client, case.method)(path, body, format="json")
    expected = case.expect[actor]
    detail = getattr(response, "data", None) or response.content[:300]
    assert response.status_code == expected, f"{actor}: {response.status_code} {detail}"


def test_matrix_rows_are_unique():
    ids = [case.id for case in MATRIX]
    assert len(set(ids)) == len(ids), "two rows for one route and method"


# --- The admin site --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("actor", "expected"),
    [
        ("anonymous", 302),
        ("patient", 302),
        ("professional", 302),
        ("admin", 200),
    ],
)
def test_admin_site_is_for_staff_only(client, world: World, actor: str, expected: int):
    user = world.user(actor)
    if user is not None:
        client.force_login(user)
    response = client.get("/admin/psico_scheduling/appointment/")
    assert response.status_code == expected
    if expected == 302:
        assert "/admin/login/" in response["Location"]


# --- Fields no client may write (API3: mass assignment) ---------------------------------------


@pytest.mark.parametrize("user_type", ["professional", "admin"])
def test_registration_cannot_choose_a_privileged_role(world, api_client_for, user_type):
    from psico_accounts.models import User

    body = register_body(world, "anonymous") | {"user_type": user_type}
    response = api_client_for(None).post("/api/auth/register/", body, format="json")
    assert response.status_code == 400
    assert "user_type" in response.data
    assert not User.objects.filter(email=body["email"]).exists()


def test_registration_ignores_staff_flags(world, api_client_for):
    from psico_accounts.models import User, UserType

    body = register_body(world, "anonymous") | {
        "is_staff": True,
        "is_superuser": True,
        "email_verified": True,
    }
    response = api_client_for(None).post("/api/auth/register/", body, format="json")
    assert response.status_code == 201, response.data
    user = User.objects.get(email=body["email"])
    assert (user.user_type, user.is_staff, user.is_superuser, user.email_verified) == (
        UserType.PATIENT,
        False,
        False,
        False,
    )


@pytest.mark.parametrize("actor", ["patient", "professional"])
def test_own_user_privileged_fields_are_read_only(world, api_client_for, actor):
    user = world.user(actor)
    before = (user.user_type, user.email, user.is_staff, user.is_superuser, user.email_verified)
    response = api_client_for(user).patch(
        "/api/users/me/",
        {
            "user_type": "admin",
            "email": "otro@example.com",
            "is_staff": True,
            "is_superuser": True,
            "email_verified": True,
            "is_active": False,
        },
        format="json",
    )
    assert response.status_code == 200, response.data
    user.refresh_from_db()
    after = (user.user_type, user.email, user.is_staff, user.is_superuser, user.email_verified)
    assert after == before
    assert user.is_active


def test_patient_cannot_set_status_or_swap_people_on_an_appointment(world, api_client_for):
    appointment = world.appointment
    response = api_client_for(world.users["patient"]).patch(
        f"/api/appointments/appointments/{appointment.pk}/",
        {
            "status": "completed",
            "psychologist": world.users["other_professional"].pk,
            "patient": world.users["other_patient"].pk,
            "cancelled_by": world.users["admin"].pk,
            "is_late_cancellation": True,
        },
        format="json",
    )
    assert response.status_code == 400, response.data
    appointment.refresh_from_db()
    assert appointment.status == "pending"
    assert appointment.psychologist == world.users["professional"]
    assert appointment.patient == world.users["patient"]
    assert appointment.cancelled_by is None
    assert appointment.is_late_cancellation is False


def test_patient_cannot_set_the_session_details_of_an_appointment(world, api_client_for):
    appointment = world.appointment
    response = api_client_for(world.users["patient"]).patch(
        f"/api/appointments/appointments/{appointment.pk}/",
        {
            "modality": "online",
            "meeting_url": "https://meet.example.com/x",
            "payment_status": "paid",
        },
        format="json",
    )
    assert response.status_code == 400, response.data
    assert {"modality", "meeting_url", "payment_status"} <= set(response.data)
    appointment.refresh_from_db()
    assert (appointment.modality, appointment.meeting_url, appointment.payment_status) == (
        "in_person",
        "",
        "unpaid",
    )


@pytest.mark.parametrize(
    ("actor", "expected"),
    [
        ("professional", 200),
        ("admin", 200),
        ("patient", 400),
        ("other_patient", 404),
        ("other_professional", 404),
        ("anonymous", 401),
    ],
)
def test_only_the_professional_or_an_admin_sets_the_session_details(
    world, api_client_for, actor, expected
):
    appointment = world.appointment
    response = api_client_for(world.user(actor)).patch(
        f"/api/appointments/appointments/{appointment.pk}/",
        {"location": "Consultorio 3", "payment_status": "paid"},
        format="json",
    )
    assert response.status_code == expected
    appointment.refresh_from_db()
    changed = (appointment.location, appointment.payment_status) == ("Consultorio 3", "paid")
    assert changed is (expected == 200)


@pytest.mark.parametrize(
    ("actor", "sees_the_details"),
    [
        ("patient", True),
        ("professional", True),
        ("admin", True),
        ("other_patient", False),
        ("other_professional", False),
        ("anonymous", False),
    ],
)
def test_the_session_details_are_shown_to_the_participants_only(
    world, api_client_for, actor, sees_the_details
):
    from psico_scheduling.models import Appointment

    meeting_url = "https://meet.example.com/sesion-privada"
    Appointment.objects.filter(pk=world.appointment.pk).update(
        modality="online", meeting_url=meeting_url
    )
    client = api_client_for(world.user(actor))
    detail = client.get(f"/api/appointments/appointments/{world.appointment.pk}/")
    pages = [
        detail,
        client.get("/api/appointments/appointments/"),
        client.get("/api/chat/conversations/"),
        client.get("/api/professionals/"),
        client.get(f"/api/professionals/{world.users['professional'].pk}/"),
        client.get(
            "/api/appointments/search-psychologists/", {"date": world.slot_date.isoformat()}
        ),
    ]
    shown = any(meeting_url.encode() in page.content for page in pages)
    assert shown is sees_the_details
    if sees_the_details:
        assert detail.json()["meeting_url"] == meeting_url
        assert {"modality", "location", "meeting_url", "payment_status", "fee"} <= set(
            detail.json()
        )


@pytest.mark.parametrize(
    ("actor", "sessions"),
    [("professional", 1), ("other_professional", 0), ("admin", 1)],
)
def test_a_summary_holds_only_the_readers_appointments(world, api_client_for, actor, sessions):
    # The world's upcoming appointment; the started one may lie in another month.
    month = world.slot_date.strftime("%Y-%m")
    started_month = timezone.localtime(world.past_appointment.start).strftime("%Y-%m")
    expected = sessions + (1 if sessions and started_month == month else 0)
    response = api_client_for(world.user(actor)).get("/api/appointments/summary/", {"month": month})
    assert response.status_code == 200
    assert response.json()["sessions"]["total"] == expected


def test_professional_cannot_set_status_through_patch(world, api_client_for):
    appointment = world.past_appointment
    response = api_client_for(world.users["professional"]).patch(
        f"/api/appointments/appointments/{appointment.pk}/",
        {"status": "no_show", "patient": world.users["other_patient"].pk},
        format="json",
    )
    assert response.status_code == 400, response.data
    appointment.refresh_from_db()
    assert appointment.status == "confirmed"
    assert appointment.patient == world.users["patient"]


def test_booking_is_always_for_the_signed_in_patient_and_pending(world, api_client_for):
    from psico_scheduling.models import Appointment

    body = booking_body(world, "patient") | {"status": "confirmed"}
    response = api_client_for(world.users["patient"]).post(
        "/api/appointments/appointments/", body, format="json"
    )
    assert response.status_code == 201, response.data
    booked = Appointment.objects.get(pk=response.data["id"])
    assert booked.patient == world.users["patient"]
    assert booked.status == "pending"


@pytest.mark.parametrize("whom", ["other_patient", "patient"])
def test_a_patient_naming_a_patient_when_booking_is_refused(world, api_client_for, whom):
    # Only the front desk books for a patient (as only the clinic creates professionals).
    from psico_scheduling.models import Appointment

    before = Appointment.objects.count()
    body = booking_body(world, "patient") | {"patient": world.users[whom].pk}
    response = api_client_for(world.users["patient"]).post(
        "/api/appointments/appointments/", body, format="json"
    )
    assert response.status_code == 400
    assert set(response.data) == {"patient"}
    assert Appointment.objects.count() == before


def test_the_front_desk_books_for_the_named_patient(world, api_client_for):
    from psico_scheduling.models import Appointment

    response = api_client_for(world.users["admin"]).post(
        "/api/appointments/appointments/", booking_body(world, "admin"), format="json"
    )
    assert response.status_code == 201, response.data
    booked = Appointment.objects.get(pk=response.data["id"])
    assert booked.patient == world.users["other_patient"]
    assert booked.status == "pending"


@pytest.mark.parametrize(
    ("actor", "sees_contact"),
    [
        ("patient", False),
        ("professional", True),
        ("admin", True),
    ],
)
def test_patient_contact_is_shown_to_the_professional_only(
    world, api_client_for, actor, sees_contact
):
    patient = world.users["patient"]
    client = api_client_for(world.users[actor])
    detail = client.get(f"/api/appointments/appointments/{world.appointment.pk}/")
    listed = client.get("/api/appointments/appointments/").data["results"]
    shown = [a for a in listed if a["id"] == world.appointment.pk]
    assert detail.status_code == 200
    assert len(shown) == 1
    contact = {"email": patient.email, "phone": patient.phone}
    if sees_contact:
        assert detail.data["patient_contact"] == contact
        assert shown[0]["patient_contact"] == contact
    else:
        assert "patient_contact" not in detail.data
        assert "patient_contact" not in shown[0]


@pytest.mark.parametrize("actor", ["anonymous", "other_patient", "other_professional"])
def test_patient_contact_never_reaches_anyone_else(world, api_client_for, actor):
    patient = world.users["patient"]
    client = api_client_for(world.user(actor))
    detail = client.get(f"/api/appointments/appointments/{world.appointment.pk}/")
    assert detail.status_code == (401 if actor == "anonymous" else 404)
    listed = client.get("/api/appointments/appointments/")
    text = listed.content.decode()
    assert patient.email not in text
    assert patient.phone not in text
    assert "patient_contact" not in detail.content.decode()


def test_a_patient_cannot_be_booked_as_the_psychologist(world, api_client_for):
    from psico_scheduling.models import Appointment

    before = Appointment.objects.count()
    body = booking_body(world, "patient") | {"psychologist": world.users["other_patient"].pk}
    response = api_client_for(world.users["patient"]).post(
        "/api/appointments/appointments/", body, format="json"
    )
    assert response.status_code == 400
    assert "psychologist" in response.data
    assert Appointment.objects.count() == before
    assert not Appointment.objects.filter(psychologist=world.users["other_patient"]).exists()


def test_availability_and_blocked_dates_belong_to_the_signed_in_professional(world, api_client_for):
    from psico_scheduling.models import BlockedDate, WeeklyAvailability

    professional = world.users["professional"]
    other = world.users["other_professional"]
    client = api_client_for(professional)
    rule = client.post(
        "/api/appointments/availability/",
        {"psychologist": other.pk, "day_of_week": 6, "start_time": "09:00", "end_time": "10:00"},
        format="json",
    )
    blocked = client.post(
        "/api/appointments/blocked-dates/",
        {
            "psychologist": other.pk,
            "date": (world.slot_date + dt.timedelta(days=21)).isoformat(),
        },
        format="json",
    )
    assert (rule.status_code, blocked.status_code) == (201, 201)
    assert WeeklyAvailability.objects.get(pk=rule.data["id"]).psychologist == professional
    assert BlockedDate.objects.get(pk=blocked.data["id"]).psychologist == professional
    assert not WeeklyAvailability.objects.filter(psychologist=other).exists()


def test_chat_sender_is_always_the_signed_in_user(world, api_client_for):
    from psico_chat.models import ChatMessage

    response = api_client_for(world.users["patient"]).post(
        f"/api/chat/{world.appointment.pk}/messages/",
        {
            "message": "Mensaje",
            "sender": world.users["professional"].pk,
            "appointment": world.past_appointment.pk,
        },
        format="json",
    )
    assert response.status_code == 201, response.data
    stored = ChatMessage.objects.get(pk=response.data["id"])
    assert stored.sender == world.users["patient"]
    assert stored.appointment == world.appointment


def test_a_client_id_never_answers_with_another_users_message(world, api_client_for):
    # client_id is scoped to its sender: the same UUID from anyone else is their own message,
    # so it can never be used to read a message of someone else (or of another chat).
    from psico_chat.models import ChatMessage
    from psico_scheduling.testing.factories import AppointmentFactory

    client_id = "0b9f6c2e-3d4a-4f5b-9c8d-7e6f5a4b3c2d"
    url = f"/api/chat/{world.appointment.pk}/messages/"
    body = {"message": "Mensaje", "client_id": client_id}
    first = api_client_for(world.users["patient"]).post(url, body, format="json")
    # A time of its own: the factory's next hour could be the world's appointment's.
    start = world.appointment.start + dt.timedelta(days=1)
    other_chat = AppointmentFactory(
        patient=world.users["other_patient"],
        psychologist=world.users["professional"],
        start=start,
        end=start + dt.timedelta(hours=1),
    )

    answers = [
        api_client_for(world.users["professional"]).post(url, body, format="json"),
        api_client_for(world.users["other_patient"]).post(
            f"/api/chat/{other_chat.pk}/messages/", body, format="json"
        ),
        api_client_for(world.users["other_patient"]).post(url, body, format="json"),
    ]

    assert first.status_code == 201, first.data
    assert [answer.status_code for answer in answers] == [201, 201, 404]
    assert [answer.data["sender"]["id"] for answer in answers[:2]] == [
        world.users["professional"].pk,
        world.users["other_patient"].pk,
    ]
    assert ChatMessage.objects.filter(client_id=client_id).count() == 3


@pytest.mark.parametrize(
    "client_id",
    ["x" * 20_000, "١" * 8 + "-1111-1111-1111-" + "1" * 12, 7, {"a": [{"b": 1}]}, ""],
    ids=["20000-chars", "unicode-digits", "integer", "nested", "empty"],
)
@pytest.mark.parametrize(
    "actor, expected", [("patient", 400), ("other_patient", 404), ("admin", 404)]
)
def test_a_hostile_client_id_is_refused_after_the_access_check(
    world, api_client_for, client_id, actor, expected
):
    from psico_chat.models import ChatMessage

    before = ChatMessage.objects.count()
    response = api_client_for(world.users[actor]).post(
        f"/api/chat/{world.appointment.pk}/messages/",
        {"message": "Mensaje", "client_id": client_id},
        format="json",
    )

    assert response.status_code == expected, response.data
    if expected == 400:
        assert list(response.data) == ["client_id"]
    assert ChatMessage.objects.count() == before


def test_admin_deleting_a_user_with_history_deactivates_and_keeps_it(world, api_client_for):
    from psico_chat.models import ChatMessage
    from psico_scheduling.models import Appointment

    patient = world.users["patient"]
    history = (
        Appointment.objects.filter(patient=patient).count(),
        ChatMessage.objects.filter(sender=patient).count(),
    )
    assert history[0] > 0
    response = api_client_for(world.users["admin"]).delete(f"/api/users/{patient.pk}/")
    assert response.status_code == 204
    patient.refresh_from_db()
    assert patient.is_active is False
    assert (
        Appointment.objects.filter(patient=patient).count(),
        ChatMessage.objects.filter(sender=patient).count(),
    ) == history
    login = api_client_for(None).post("/api/auth/login/", login_body(world, "patient"))
    assert login.status_code == 400
    assert "token" not in login.data


@pytest.mark.parametrize(
    "actor, sees_the_chat",
    [
        ("patient", True),
        ("professional", True),
        ("other_patient", False),
        ("other_professional", False),
        ("admin", False),
    ],
)
def test_the_inbox_holds_only_chats_one_takes_part_in(world, api_client_for, actor, sees_the_chat):
    response = api_client_for(world.user(actor)).get("/api/chat/conversations/")

    assert response.status_code == 200
    rows = response.json()["results"]
    assert [row["last_message"]["id"] for row in rows] == (
        [world.message.pk] if sees_the_chat else []
    )


@pytest.mark.parametrize(
    "actor, sees_the_appointments",
    [
        ("patient", True),
        ("professional", True),
        ("other_patient", False),
        ("other_professional", False),
        ("admin", False),
    ],
)
def test_a_calendar_feed_holds_only_its_owners_appointments(
    world, api_client_for, actor, sees_the_appointments
):
    from urllib.parse import urlsplit

    from icalendar import Calendar
    from psico_notifications.invitations import appointment_uid

    url = api_client_for(world.user(actor)).get("/api/calendar/feed/").json()["url"]
    path = urlsplit(url).path
    # The secret is the key: the same answer without credentials and with anyone else's.
    bodies = {
        api_client_for(world.user(someone)).get(path).content
        for someone in ("anonymous", "other_patient", "admin")
    }
    [body] = bodies
    uids = {str(event["uid"]) for event in Calendar.from_ical(body.decode()).walk("VEVENT")}
    expected = {world.appointment.pk, world.past_appointment.pk} if sees_the_appointments else set()
    assert uids == {appointment_uid(pk) for pk in expected}


# --- Recurring series: what each actor's list holds, and what no client writes ---------------


@pytest.mark.parametrize(
    ("actor", "sees_it"),
    [
        ("patient", True),
        ("professional", True),
        ("admin", True),
        ("other_patient", False),
        ("other_professional", False),
    ],
)
def test_a_series_list_holds_only_the_readers_series(world, api_client_for, actor, sees_it):
    pk = own_series(world)["pk"]
    listed = api_client_for(world.user(actor)).get("/api/appointments/series/").data["results"]
    assert [item["id"] for item in listed] == ([pk] if sees_it else [])


def test_a_series_body_cannot_set_who_booked_it_nor_its_cancellation(world, api_client_for):
    from psico_scheduling.models import AppointmentSeries

    patient = world.users["patient"]
    body = series_body(world, "patient") | {
        "booked_by": world.users["admin"].pk,
        "cancelled_from": world.slot_date.isoformat(),
        "cancellation_reason": "x",
        "id": 999,
    }
    response = api_client_for(patient).post("/api/appointments/series/", body, format="json")
    assert response.status_code == 201, response.data
    series = AppointmentSeries.objects.get(pk=response.data["id"])
    assert (series.booked_by_id, series.cancelled_from, series.cancellation_reason) == (
        patient.pk,
        None,
        "",
    )


@pytest.mark.parametrize("actor", ACTORS)
def test_a_notes_content_reaches_exactly_one_user(world, api_client_for, actor):
    note = clinical_note(world)["pk"]
    client = api_client_for(world.user(actor))

    answers = [
        client.get("/api/records/notes/"),
        client.get(f"/api/records/notes/{note}/"),
        client.get(f"/api/records/notes/{note}/revisions/"),
        client.get("/api/audit/events/"),
        client.get("/api/users/me/access-log/"),
        client.get(f"/api/appointments/appointments/{world.appointment.pk}/"),
    ]

    seen = [NOTE_TEXT in answer.content.decode() for answer in answers]
    assert any(seen) is (actor == "professional"), seen
