"""Notes sealed at rest: the database holds Fernet tokens, and key rotation loses nothing."""

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from psico_core.sealing import SealingError, sealed_rows_rotate
from psico_records.models import ClinicalNote, NoteRevision
from psico_records.services import note_update
from psico_records.testing.factories import ClinicalNoteFactory

from .conftest import raw_column

SECRET = "Ideación suicida pasiva; plan de seguridad acordado."
OLD_KEY = Fernet.generate_key().decode()
NEW_KEY = Fernet.generate_key().decode()


def test_the_note_column_holds_no_plaintext(appointment, professional):
    note = ClinicalNoteFactory(appointment=appointment, content=SECRET)
    note_update(note=note, author=professional, content="Segunda versión")
    revision = NoteRevision.objects.get()

    stored = raw_column("psico_records_clinicalnote", "content", note.pk)
    stored_revision = raw_column("psico_records_noterevision", "content", revision.pk)

    for token in (stored, stored_revision):
        assert token.startswith("gAAAAA")  # a Fernet token, version byte 0x80
        assert "Ideación" not in token and "versión" not in token and "plan" not in token
    assert ClinicalNote.objects.get(pk=note.pk).content == "Segunda versión"
    assert NoteRevision.objects.get().content == SECRET


def test_equal_texts_are_sealed_differently(appointment):
    first = ClinicalNoteFactory(appointment=appointment, content=SECRET)
    second = ClinicalNoteFactory(appointment=appointment, content=SECRET)

    assert raw_column("psico_records_clinicalnote", "content", first.pk) != raw_column(
        "psico_records_clinicalnote", "content", second.pk
    )


def test_a_tampered_token_is_refused_not_misread(appointment):
    from django.db import connection

    note = ClinicalNoteFactory(appointment=appointment, content=SECRET)
    token = raw_column("psico_records_clinicalnote", "content", note.pk)
    tampered = token[:-5] + ("A" if token[-5] != "A" else "B") + token[-4:]
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE psico_records_clinicalnote SET content = %s WHERE id = %s", [tampered, note.pk]
        )

    with pytest.raises(SealingError):
        ClinicalNote.objects.get(pk=note.pk)


def test_the_content_cannot_be_searched_in_sql(appointment):
    from django.core.exceptions import FieldError

    ClinicalNoteFactory(appointment=appointment, content=SECRET)

    with pytest.raises(FieldError):
        list(ClinicalNote.objects.filter(content=SECRET))
    assert ClinicalNote.objects.filter(content__isnull=False).count() == 1


def test_a_note_sealed_under_another_key_does_not_open(appointment, settings):
    settings.PSICO_SEALING_KEYS = [OLD_KEY]
    note = ClinicalNoteFactory(appointment=appointment, content=SECRET)
    settings.PSICO_SEALING_KEYS = [NEW_KEY]

    with pytest.raises(SealingError):
        ClinicalNote.objects.get(pk=note.pk)


class CrashOnBatch(Exception):
    pass


@pytest.mark.django_db(transaction=True)
def test_rotation_with_a_crash_midway_resumes_and_loses_nothing(settings):
    from psico_scheduling.testing.factories import AppointmentFactory

    settings.PSICO_SEALING_KEYS = [OLD_KEY]
    appointment = AppointmentFactory()
    texts = {f"Nota número {n}: {SECRET}" for n in range(7)}
    notes = [ClinicalNoteFactory(appointment=appointment, content=text) for text in sorted(texts)]
    note_update(note=notes[0], author=appointment.psychologist, content="Versión nueva")
    expected_notes = {note.pk: ClinicalNote.objects.get(pk=note.pk).content for note in notes}
    expected_revisions = dict(NoteRevision.objects.values_list("pk", "content"))

    # A new key in front, the old one still there to read with.
    settings.PSICO_SEALING_KEYS = [NEW_KEY, OLD_KEY]
    batches = []

    def crash_on_third_batch(batch):
        batches.append(batch)
        if len(batches) == 3:
            raise CrashOnBatch

    with pytest.raises(CrashOnBatch):
        sealed_rows_rotate(batch_size=2, on_batch=crash_on_third_batch)

    new_only = Fernet(NEW_KEY.encode())
    tokens = [raw_column("psico_records_clinicalnote", "content", pk) for pk in expected_notes]
    rotated = sum(1 for token in tokens if _opens(new_only, token))
    # The batches committed before the crash are rotated (the crash came after the third
    # commit), the rest not yet.
    assert rotated == 6
    assert batches[-1].examined == 6

    # Resumed: the rows already done are recognised and left alone.
    counts = sealed_rows_rotate(batch_size=2)

    assert counts["psico_records.ClinicalNote.content"] == 1
    assert counts["psico_records.NoteRevision.content"] == 1
    settings.PSICO_SEALING_KEYS = [NEW_KEY]  # the old key is gone
    assert dict(ClinicalNote.objects.values_list("pk", "content")) == expected_notes
    assert dict(NoteRevision.objects.values_list("pk", "content")) == expected_revisions
    # A run with nothing left to do changes nothing.
    assert set(sealed_rows_rotate(batch_size=2).values()) == {0}


def _opens(fernet: Fernet, token: str) -> bool:
    try:
        fernet.decrypt(token.encode())
    except Exception:
        return False
    return True


def test_the_rotate_command_prints_its_progress(appointment, settings, capsys):
    settings.PSICO_SEALING_KEYS = [OLD_KEY]
    ClinicalNoteFactory.create_batch(3, appointment=appointment)
    settings.PSICO_SEALING_KEYS = [NEW_KEY, OLD_KEY]

    call_command("seal_rotate", "--batch-size", "2")

    out = capsys.readouterr().out
    assert "psico_records.ClinicalNote.content: 2/3 examined, 2 re-sealed" in out
    assert "psico_records.ClinicalNote.content: 3 re-sealed" in out
    settings.PSICO_SEALING_KEYS = [NEW_KEY]
    assert ClinicalNote.objects.count() == 3 and all(n.content for n in ClinicalNote.objects.all())


def test_the_rotate_command_refuses_a_bad_key(settings):
    from django.core.management.base import CommandError

    settings.PSICO_SEALING_KEYS = ["not-a-key"]

    with pytest.raises(CommandError, match="not a Fernet key"):
        call_command("seal_rotate")
