"""Seeds the end-to-end database and prints what the tests need as one JSON line.

Run from ``site/`` with ``DJANGO_SETTINGS_MODULE=config.settings`` (the live-server fixture does).
Accounts come from the packages' own factories, so they look exactly like the ones the unit
tests use; the chat message goes through the chat service, like every other entry point.

Two sets of accounts: the ``fuzz_*`` ones belong to schemathesis, which may rename, re-profile,
deactivate or delete them at will; the others stay intact for the generated client and the
browser. The fuzz accounts get ids far above the small integers a fuzzer draws first, so an admin
run does not lock itself out by chance; the ids it should reach are listed in ``fuzz_known``.
The ``hostile_*`` accounts and objects belong to test_hostile_input.py, whose hostile values
may be accepted where they are harmless (a reason written in Arabic digits cancels an
appointment); ``outage_*`` ones to test_redis_outage.py.
"""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.utils import timezone  # noqa: E402
from psico_accounts.services import token_create  # noqa: E402
from psico_accounts.testing.factories import (  # noqa: E402
    TEST_PASSWORD,
    AdminFactory,
    PatientFactory,
    ProfessionalFactory,
    SpecializationFactory,
)
from psico_chat.services import message_send  # noqa: E402
from psico_scheduling.services import appointment_series_book  # noqa: E402
from psico_scheduling.testing.factories import (  # noqa: E402
    AppointmentFactory,
    BlockedDateFactory,
    WeeklyAvailabilityFactory,
)

EVERY_DAY = range(7)
FUZZ_IDS_FROM = 900_000


def working_every_day(user) -> None:
    for day in EVERY_DAY:
        WeeklyAvailabilityFactory(
            psychologist=user, day_of_week=day, start_time=dt.time(8), end_time=dt.time(20)
        )


def appointment_in_two_days(*, patient, psychologist, hour: int):
    local = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    day = timezone.localdate() + dt.timedelta(days=2)
    start = dt.datetime.combine(day, dt.time(hour), tzinfo=local)
    return AppointmentFactory(
        patient=patient, psychologist=psychologist, start=start, end=start + dt.timedelta(hours=1)
    )


def describe(user) -> dict:
    token, key = token_create(user=user, user_agent="e2e seed")
    return {
        "id": user.pk,
        "email": user.email,
        "password": TEST_PASSWORD,
        "token": key,
        "token_id": token.pk,
        "user_type": user.user_type,
    }


def main() -> None:
    specialization = SpecializationFactory(name="Terapia cognitivo-conductual")
    accounts = {
        "patient": PatientFactory(email="paciente@e2e.psico.test", first_name="Ana"),
        "patient2": PatientFactory(email="paciente2@e2e.psico.test"),
        "professional": ProfessionalFactory(
            email="psicologa@e2e.psico.test", first_name="Lucía", last_name="Mamani"
        ),
        "professional2": ProfessionalFactory(email="psicologo2@e2e.psico.test"),
        "admin": AdminFactory(email="admin@e2e.psico.test"),
        "fuzz_patient": PatientFactory(id=FUZZ_IDS_FROM + 1, email="fuzz-paciente@e2e.psico.test"),
        "fuzz_professional": ProfessionalFactory(
            id=FUZZ_IDS_FROM + 2, email="fuzz-psicologa@e2e.psico.test"
        ),
        "fuzz_admin": AdminFactory(id=FUZZ_IDS_FROM + 3, email="fuzz-admin@e2e.psico.test"),
        "hostile_patient": PatientFactory(email="hostil-paciente@e2e.psico.test"),
        "hostile_professional": ProfessionalFactory(email="hostil-psicologa@e2e.psico.test"),
        "hostile_admin": AdminFactory(email="hostil-admin@e2e.psico.test"),
        # Logging out revokes the token: the hostile pass logs out with this one only.
        "hostile_spare": PatientFactory(email="hostil-descartable@e2e.psico.test"),
        # Changing the password rotates the token: only this account changes its own.
        "hostile_password": PatientFactory(email="hostil-clave@e2e.psico.test"),
        "hostile_target": PatientFactory(email="hostil-objetivo@e2e.psico.test"),
        "outage_patient": PatientFactory(email="corte-paciente@e2e.psico.test"),
        "outage_professional": ProfessionalFactory(email="corte-psicologa@e2e.psico.test"),
        # test_web_client.py: the reference web client books and chats between these two.
        "web_patient": PatientFactory(
            email="web-paciente@e2e.psico.test", first_name="Sofía", last_name="Rojas"
        ),
        "web_professional": ProfessionalFactory(
            email="web-psicologo@e2e.psico.test", first_name="Mateo", last_name="Quispenina"
        ),
    }
    # Users the admin run may edit or delete without hurting anyone else's run.
    expendable = [
        PatientFactory(id=FUZZ_IDS_FROM + 10 + n, email=f"fuzz-prescindible{n}@e2e.psico.test")
        for n in range(2)
    ]
    for key in (
        "professional",
        "professional2",
        "fuzz_professional",
        "hostile_professional",
        "outage_professional",
        "web_professional",
    ):
        professional = accounts[key]
        professional.professional_profile.specializations.add(specialization)
        working_every_day(professional)

    appointment = appointment_in_two_days(
        patient=accounts["patient"], psychologist=accounts["professional"], hour=9
    )
    fuzz_appointment = appointment_in_two_days(
        patient=accounts["fuzz_patient"], psychologist=accounts["fuzz_professional"], hour=9
    )
    fuzz_blocked = BlockedDateFactory(psychologist=accounts["fuzz_professional"])
    hostile_appointment = appointment_in_two_days(
        patient=accounts["hostile_patient"],
        psychologist=accounts["hostile_professional"],
        hour=9,
    )
    hostile_lifecycle_appointment = appointment_in_two_days(
        patient=accounts["hostile_patient"],
        psychologist=accounts["hostile_professional"],
        hour=11,
    )
    hostile_blocked = BlockedDateFactory(psychologist=accounts["hostile_professional"])
    outage_appointment = appointment_in_two_days(
        patient=accounts["outage_patient"],
        psychologist=accounts["outage_professional"],
        hour=9,
    )
    # Weekly series, booked through the service as the API books them.
    fuzz_series, hostile_series = (
        appointment_series_book(
            patient=accounts[f"{owner}_patient"],
            psychologist=accounts[f"{owner}_professional"],
            start_date=timezone.localdate() + dt.timedelta(days=3),
            start_time=dt.time(15),
            frequency="weekly",
            count=2,
        )
        for owner in ("fuzz", "hostile")
    )
    first_message = message_send(
        appointment=appointment,
        sender=accounts["professional"],
        content="Hola Ana, te espero el jueves.",
    )

    print(
        json.dumps(
            {
                "accounts": {key: describe(user) for key, user in accounts.items()},
                "ids": {
                    "appointment": appointment.pk,
                    "fuzz_appointment": fuzz_appointment.pk,
                    "first_message": first_message.pk,
                    "specialization": specialization.pk,
                    "specialization_slug": specialization.slug,
                    "hostile_appointment": hostile_appointment.pk,
                    "hostile_lifecycle_appointment": hostile_lifecycle_appointment.pk,
                    "hostile_blocked_date": hostile_blocked.pk,
                    "hostile_availability": accounts["hostile_professional"]
                    .availability_rules.values_list("pk", flat=True)
                    .first(),
                    "outage_appointment": outage_appointment.pk,
                    "hostile_series": hostile_series.pk,
                    "fuzz_known": [
                        fuzz_appointment.pk,
                        fuzz_blocked.pk,
                        fuzz_series.pk,
                        accounts["fuzz_professional"].pk,
                        accounts["fuzz_patient"].pk,
                        *[user.pk for user in expendable],
                        *accounts["fuzz_professional"].availability_rules.values_list(
                            "pk", flat=True
                        )[:2],
                    ],
                },
            }
        )
    )


if __name__ == "__main__":
    main()
