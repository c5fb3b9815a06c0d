import io

import pytest
from django.core.management import CommandError, call_command
from psico_accounts.catalog import SPECIALIZATIONS
from psico_accounts.management.commands.populate_db import DEMO_PASSWORD
from psico_accounts.models import Specialization, User, UserType

pytestmark = pytest.mark.django_db

DEMO_EMAILS = {"admin@psico.bo", "psicologa@psico.bo", "paciente@psico.bo"}


def _run(*args, **options) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, **options)
    return out.getvalue()


def test_create_specializations_is_idempotent():
    first = _run("create_specializations")
    assert f"{len(SPECIALIZATIONS)} created" in first
    second = _run("create_specializations")
    assert "0 created, 0 updated" in second
    assert Specialization.objects.count() == len(SPECIALIZATIONS) >= 15


def test_populate_db_refuses_to_run_without_debug(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        _run("populate_db")
    assert not User.objects.exists()


def test_populate_db_twice_keeps_one_of_each_demo_account(settings):
    settings.DEBUG = True
    output = _run("populate_db", patients=3, professionals=2, seed=7)
    assert "patients: 3/3" in output and "professionals: 2/2" in output
    _run("populate_db", patients=1, professionals=1)

    demo = User.objects.filter(email__in=DEMO_EMAILS)
    assert demo.count() == 3
    assert User.objects.count() == 3 + 3 + 2 + 1 + 1
    admin = User.objects.get(email="admin@psico.bo")
    assert admin.is_superuser and admin.check_password(DEMO_PASSWORD)
    psychologist = User.objects.get(email="psicologa@psico.bo")
    assert psychologist.professional_profile.specializations.count() == 3
    assert User.objects.get(email="paciente@psico.bo").user_type == UserType.PATIENT


def test_populate_db_with_force_strips_accents_from_generated_accounts(settings):
    settings.DEBUG = False
    _run("populate_db", patients=6, professionals=3, force=True, verbosity=0)
    generated = User.objects.exclude(email__in=DEMO_EMAILS)
    assert generated.count() == 9
    for user in generated:
        assert user.email.isascii() and user.username.isascii()
        assert user.ci and 7 <= len(user.ci) <= 10
    professionals = generated.filter(user_type=UserType.PROFESSIONAL)
    assert all(p.professional_profile.specializations.exists() for p in professionals)
