"""psico_core.sealing: Fernet tokens under the configured keys, newest first."""

import pytest
from cryptography.fernet import Fernet
from django.contrib.auth.models import Group
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from psico_core.checks import check_sealing_keys
from psico_core.sealing import (
    DEVELOPMENT_KEY,
    SealedTextField,
    SealingError,
    column_seal,
    column_unseal,
    is_sealed_under_newest_key,
    reseal,
    seal,
    unseal,
)

OLD = Fernet.generate_key().decode()
NEW = Fernet.generate_key().decode()


def test_a_sealed_text_opens_and_hides_the_text(settings):
    settings.PSICO_SEALING_KEYS = [NEW]

    token = seal("Ñandú ☕ secreto")

    assert "secreto" not in token
    assert Fernet(NEW.encode()).decrypt(token.encode()).decode() == "Ñandú ☕ secreto"
    assert unseal(token) == "Ñandú ☕ secreto"


def test_the_newest_key_seals_and_every_key_opens(settings):
    settings.PSICO_SEALING_KEYS = [OLD]
    old_token = seal("antes")
    settings.PSICO_SEALING_KEYS = [NEW, OLD]

    new_token = seal("después")

    assert unseal(old_token) == "antes"
    assert is_sealed_under_newest_key(new_token)
    assert not is_sealed_under_newest_key(old_token)
    assert is_sealed_under_newest_key(reseal(old_token))
    settings.PSICO_SEALING_KEYS = [NEW]
    assert unseal(new_token) == "después"
    with pytest.raises(SealingError):
        unseal(old_token)


def test_a_tampered_or_foreign_token_is_refused(settings):
    settings.PSICO_SEALING_KEYS = [NEW]
    token = seal("texto")

    with pytest.raises(SealingError):
        unseal(token[:-3] + "AAA")
    with pytest.raises(SealingError):
        unseal("texto plano")
    with pytest.raises(SealingError):
        reseal("ñ no es un token")


def test_without_keys_the_public_development_key_is_used(settings):
    settings.PSICO_SEALING_KEYS = []

    token = seal("desarrollo")

    assert Fernet(DEVELOPMENT_KEY).decrypt(token.encode()) == b"desarrollo"


def test_a_malformed_key_is_a_configuration_error(settings):
    settings.PSICO_SEALING_KEYS = ["not-a-key"]

    with pytest.raises(ImproperlyConfigured, match="key 1 is not a Fernet key"):
        seal("x")


def test_the_field_stores_empty_and_null_as_themselves(settings):
    field = SealedTextField()

    assert field.get_prep_value("") == ""
    assert field.get_prep_value(None) is None
    assert field.from_db_value("", None, connection) == ""
    assert field.from_db_value(None, None, connection) is None
    assert field.from_db_value(field.get_prep_value("hola"), None, connection) == "hola"


def test_the_check_refuses_production_without_keys(settings):
    settings.PSICO_SEALING_KEYS = []
    settings.DEBUG = False

    [error] = check_sealing_keys(None)

    assert error.id == "psico_core.E002"
    settings.DEBUG = True
    assert check_sealing_keys(None) == []


def test_the_check_refuses_a_malformed_key(settings):
    settings.PSICO_SEALING_KEYS = [NEW, "short"]

    [error] = check_sealing_keys(None)

    assert error.id == "psico_core.E003"
    assert "key 2" in error.msg


def test_a_single_key_may_be_given_as_text(settings):
    settings.PSICO_SEALING_KEYS = NEW
    settings.DEBUG = False

    assert check_sealing_keys(None) == []
    assert Fernet(NEW.encode()).decrypt(seal("uno").encode()) == b"uno"


@pytest.mark.django_db
def test_column_seal_and_unseal_rewrite_a_text_column_both_ways(settings):
    settings.PSICO_SEALING_KEYS = [NEW]
    groups = [Group.objects.create(name=f"Grupo {n}") for n in range(3)]

    assert column_seal(Group, "name", batch_size=2) == 3
    assert column_seal(Group, "name", batch_size=2) == 0  # already sealed
    sealed = dict(Group.objects.values_list("pk", "name"))
    assert all(unseal(sealed[group.pk]) == group.name for group in groups)

    assert column_unseal(Group, "name", batch_size=2) == 3
    assert dict(Group.objects.values_list("pk", "name")) == {g.pk: g.name for g in groups}


@pytest.mark.django_db
def test_the_rotate_command_with_nothing_sealed_says_so(settings, capsys):
    from django.core.management import call_command

    settings.PSICO_SEALING_KEYS = [NEW, OLD]

    call_command("seal_rotate")

    assert "Every sealed value is under the newest key." in capsys.readouterr().out


@pytest.mark.parametrize(
    ("arguments", "keys", "message"),
    [
        (["--batch-size", "0"], [NEW], "at least 1"),
        ([], ["short"], "not a Fernet key"),
    ],
)
def test_the_rotate_command_refuses_bad_input(settings, arguments, keys, message):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    settings.PSICO_SEALING_KEYS = keys

    with pytest.raises(CommandError, match=message):
        call_command("seal_rotate", *arguments)
