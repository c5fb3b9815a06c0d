"""factory-boy factories for every psico_accounts model, for this and other projects' tests."""

from __future__ import annotations

import factory
from django.utils.text import slugify
from factory.django import DjangoModelFactory

from ..models import PatientProfile, ProfessionalProfile, Specialization, User, UserType

TEST_PASSWORD = "Psico-test-2024!"


class SpecializationFactory(DjangoModelFactory):
    class Meta:
        model = Specialization
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Especialidad {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.name))
    description = factory.Faker("sentence", locale="es_ES")


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("email",)
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    first_name = factory.Faker("first_name", locale="es_ES")
    last_name = factory.Faker("last_name", locale="es_ES")
    ci = factory.Sequence(lambda n: f"{4000000 + n}")
    phone = factory.Sequence(lambda n: f"+5917{n % 10000000:07d}")
    password = factory.django.Password(TEST_PASSWORD)
    user_type = UserType.PATIENT


class PatientProfileFactory(DjangoModelFactory):
    class Meta:
        model = PatientProfile
        django_get_or_create = ("user",)

    user = factory.SubFactory(UserFactory, user_type=UserType.PATIENT)


class ProfessionalProfileFactory(DjangoModelFactory):
    class Meta:
        model = ProfessionalProfile
        django_get_or_create = ("user",)
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory, user_type=UserType.PROFESSIONAL)
    bio = factory.Faker("paragraph", locale="es_ES")
    license_number = factory.Sequence(lambda n: f"CPB-{1000 + n}")
    city = "La Paz"
    session_duration = 60
    consultation_fee = 200

    @factory.post_generation
    def specializations(self, create, extracted, **kwargs):
        if create and extracted:
            self.specializations.set(extracted)


class PatientFactory(UserFactory):
    user_type = UserType.PATIENT
    patient_profile = factory.RelatedFactory(PatientProfileFactory, factory_related_name="user")


class ProfessionalFactory(UserFactory):
    user_type = UserType.PROFESSIONAL
    professional_profile = factory.RelatedFactory(
        ProfessionalProfileFactory, factory_related_name="user"
    )


class AdminFactory(UserFactory):
    user_type = UserType.ADMIN
    is_staff = True
    is_superuser = True
