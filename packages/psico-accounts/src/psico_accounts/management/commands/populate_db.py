"""Fill a development database with demo accounts and fake patients and professionals."""

from __future__ import annotations

import random
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from ...catalog import SPECIALIZATIONS
from ...models import Gender, Specialization, User, UserType, strip_accents
from ...services import specializations_load, user_create

# Published in the README: these accounts exist only in demo databases.
DEMO_PASSWORD = "PsicoDemo2024!"

DEMO_ACCOUNTS: tuple[dict, ...] = (
    {
        "email": "admin@psico.bo",
        "user_type": UserType.ADMIN,
        "first_name": "Administración",
        "last_name": "Psico",
        "ci": "1000001",
        "is_superuser": True,
    },
    {
        "email": "psicologa@psico.bo",
        "user_type": UserType.PROFESSIONAL,
        "first_name": "Lucía",
        "last_name": "Quispe Mamani",
        "ci": "1000002",
        "phone": "+59171000002",
        "gender": Gender.FEMALE,
        "professional_profile": {
            "bio": "Psicóloga clínica con enfoque cognitivo-conductual. Atiende ansiedad, "
            "depresión y terapia de pareja.",
            "license_number": "CPB-0001",
            "city": "La Paz",
            "years_of_experience": 9,
            "session_duration": 60,
            "consultation_fee": Decimal("250.00"),
            "specialization_slugs": [
                "psicologia-clinica",
                "ansiedad-y-estres",
                "terapia-de-pareja",
            ],
        },
    },
    {
        "email": "paciente@psico.bo",
        "user_type": UserType.PATIENT,
        "first_name": "Carlos",
        "last_name": "Flores Choque",
        "ci": "1000003",
        "phone": "+59171000003",
        "gender": Gender.MALE,
    },
)

CITIES = ("La Paz", "El Alto", "Cochabamba", "Santa Cruz", "Sucre", "Oruro", "Potosí", "Tarija")


def _person_factory(faker_locale: str):
    """A factory-boy DictFactory producing a fake Bolivian person's fields."""
    import factory

    class PersonData(factory.DictFactory):
        first_name = factory.Faker("first_name", locale=faker_locale)
        last_name = factory.Faker("last_name", locale=faker_locale)
        gender = factory.Faker(
            "random_element", elements=[Gender.FEMALE, Gender.MALE, Gender.OTHER, ""]
        )
        date_of_birth = factory.Faker(
            "date_of_birth", minimum_age=18, maximum_age=80, locale=faker_locale
        )
        phone = factory.Faker("numerify", text="+5917#######")

    return PersonData


def _professional_profile_factory(faker_locale: str):
    import factory

    class ProfessionalProfileData(factory.DictFactory):
        bio = factory.Faker("paragraph", nb_sentences=4, locale=faker_locale)
        license_number = factory.Faker("numerify", text="CPB-####")
        city = factory.Faker("random_element", elements=CITIES)
        years_of_experience = factory.Faker("random_int", min=1, max=35)
        session_duration = factory.Faker("random_element", elements=[45, 50, 60, 60, 90])
        consultation_fee = factory.LazyFunction(lambda: Decimal(random.randrange(150, 451, 10)))
        accepting_new_patients = factory.Faker("boolean", chance_of_getting_true=85)

    return ProfessionalProfileData


class Command(BaseCommand):
    help = (
        "Create the specializations, the demo accounts (admin@psico.bo, psicologa@psico.bo, "
        f"paciente@psico.bo; password {DEMO_PASSWORD}) and fake patients and professionals. "
        "Runs only with DEBUG=True unless --force is given."
    )

    def add_arguments(self, parser):
        parser.add_argument("--patients", type=int, default=20, help="Fake patients to add.")
        parser.add_argument(
            "--professionals", type=int, default=8, help="Fake professionals to add."
        )
        parser.add_argument("--seed", type=int, default=None, help="Seed for repeatable data.")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even with DEBUG=False (never on a production database).",
        )

    def handle(self, *args, **options):
        self.verbosity = options["verbosity"]
        if not (settings.DEBUG or options["force"]):
            raise CommandError(
                "populate_db creates accounts with a published password: it runs only with "
                "DEBUG=True, or with --force on a database that is not in production."
            )
        if options["patients"] < 0 or options["professionals"] < 0:
            raise CommandError("--patients and --professionals cannot be negative.")
        try:
            import factory  # noqa: F401
        except ImportError as exc:
            raise CommandError(
                'populate_db needs factory-boy and Faker: pip install "psico-accounts[demo]".'
            ) from exc
        if options["seed"] is not None:
            from factory.random import reseed_random

            random.seed(options["seed"])
            reseed_random(options["seed"])

        created, updated = specializations_load(entries=SPECIALIZATIONS)
        self._say(f"Specializations: {created} created, {updated} updated.")
        self._demo_accounts()
        self._fake_users(UserType.PATIENT, options["patients"])
        self._fake_users(UserType.PROFESSIONAL, options["professionals"])
        self.stdout.write(self.style.SUCCESS("Done."))

    def _say(self, text: str) -> None:
        if self.verbosity >= 1:
            self.stdout.write(text)

    def _demo_accounts(self) -> None:
        for account in DEMO_ACCOUNTS:
            if User.objects.filter(email__iexact=account["email"]).exists():
                self._say(f"Demo account {account['email']} already exists; left as it is.")
                continue
            data = dict(account)
            profile = dict(data.pop("professional_profile", {}) or {})
            slugs = profile.pop("specialization_slugs", [])
            if profile:
                profile["specializations"] = list(Specialization.objects.filter(slug__in=slugs))
                data["professional_profile"] = profile
            self._create(password=DEMO_PASSWORD, **data)
            self._say(f"Demo account {account['email']} created.")

    def _fake_users(self, user_type: str, count: int) -> None:
        if not count:
            return
        locale = "es"
        person_factory = _person_factory(locale)
        profile_factory = _professional_profile_factory(locale)
        specializations = list(Specialization.objects.all())
        label = "patients" if user_type == UserType.PATIENT else "professionals"
        step = max(1, count // 10)
        for number in range(1, count + 1):
            person = person_factory()
            data = {
                **person,
                "email": self._free_email(person["first_name"], person["last_name"]),
                "ci": self._free_ci(),
                "user_type": user_type,
            }
            if user_type == UserType.PROFESSIONAL:
                chosen = random.sample(specializations, k=min(len(specializations), 3))
                data["professional_profile"] = {
                    **profile_factory(),
                    "specializations": chosen[: random.randint(1, len(chosen) or 1)],
                }
            self._create(password=DEMO_PASSWORD, **data)
            if number % step == 0 or number == count:
                self._say(f"  {label}: {number}/{count}")

    def _create(self, **data) -> User:
        try:
            return user_create(**data)
        except ValidationError as exc:
            raise CommandError(f"Could not create {data.get('email')}: {exc.messages}") from exc

    @staticmethod
    def _free_email(first_name: str, last_name: str) -> str:
        # Accents are stripped so that generated addresses and usernames are plain ASCII.
        local = ".".join(
            strip_accents(part).lower().replace(" ", "")
            for part in (first_name.split()[0], last_name.split()[0])
        )
        email, suffix = f"{local}@example.com", 1
        while User.objects.filter(email__iexact=email).exists():
            suffix += 1
            email = f"{local}{suffix}@example.com"
        return email

    @staticmethod
    def _free_ci() -> str:
        while True:
            ci = str(random.randint(2_000_000, 99_999_999))
            if not User.objects.filter(ci=ci).exists():
                return ci
