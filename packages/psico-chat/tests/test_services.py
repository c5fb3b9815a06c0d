"""Services and selectors: the chat's rules, once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from psico_accounts.testing.factories import AdminFactory, PatientFactory, ProfessionalFactory
from psico_chat.models import ChatMessage
from psico_chat.selectors import chat_is_open
from psico_chat.services import message_mark_read, message_send, message_store
from psico_chat.testing.factories import ChatMessageFactory
from psico_scheduling.models import AppointmentStatus
from psico_scheduling.testing.factories import AppointmentFactory

pytestmark = pytest.mark.django_db


def error_codes(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [e.code for errors in exc.error_dict.values() for e in errors]
    return [e.code for e in exc.error_list]


def test_message_send_stores_the_trimmed_text(appointment):
    message = message_send(
        appointment=appointment, sender=appointment.psychologist, content="\n Hola \n"
    )

    message.refresh_from_db()
    assert message.content == "Hola"
    assert message.sender == appointment.psychologist
    assert message.read_at is None


def test_message_send_broadcasts_only_after_commit(appointment, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        message = message_send(appointment=appointment, sender=appointment.patient, content="Hola")

    assert ChatMessage.objects.filter(pk=message.pk).exists()
    assert len(callbacks) == 1


def test_message_store_announces_the_message_and_its_predecessor_in_the_same_chat(
    appointment, django_capture_on_commit_callbacks
):
    other = AppointmentFactory(status=AppointmentStatus.CONFIRMED)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        first = message_store(appointment=appointment, sender=appointment.patient, content="Uno")
        elsewhere = message_store(appointment=other, sender=other.patient, content="Otro")
        second = message_store(
            appointment=appointment, sender=appointment.psychologist, content=" Dos "
        )

    assert callbacks == []  # the caller broadcasts
    assert [first.event["previous_id"], elsewhere.event["previous_id"]] == [0, 0]
    assert second.event["previous_id"] == first.message.pk
    assert second.event["id"] == second.message.pk > elsewhere.message.pk
    assert second.event["message"]["message"] == "Dos"
    assert second.event["message"]["sender"] == {
        "id": appointment.psychologist.pk,
        "name": appointment.psychologist.get_full_name(),
    }


@pytest.mark.parametrize(
    "content, code",
    [
        ("", "empty_message"),
        (" \t\n", "empty_message"),
        (None, "invalid"),
        ("a\x00b", "invalid_characters"),
        ("x" * 2001, "message_too_long"),
    ],
)
def test_message_send_refuses_bad_content(appointment, content, code):
    with pytest.raises(ValidationError) as caught:
        message_send(appointment=appointment, sender=appointment.patient, content=content)

    assert error_codes(caught.value) == [code]
    assert "message" in caught.value.error_dict
    assert not ChatMessage.objects.exists()


def test_message_send_accepts_exactly_the_maximum_length(appointment, settings):
    settings.PSICO_CHAT = {"MAX_MESSAGE_LENGTH": 5}

    message = message_send(appointment=appointment, sender=appointment.patient, content="12345")

    assert message.content == "12345"


@pytest.mark.parametrize("outsider", [AdminFactory, PatientFactory, ProfessionalFactory])
def test_only_participants_may_send_or_read(appointment, outsider):
    # Scheduling's participant rule and its answer (PermissionDenied, as for its own actions).
    message = ChatMessageFactory(appointment=appointment, sender=appointment.patient)
    user = outsider()
    with pytest.raises(PermissionDenied):
        message_send(appointment=appointment, sender=user, content="Hola")
    with pytest.raises(PermissionDenied):
        message_mark_read(appointment=appointment, reader=user, up_to_id=message.pk)

    assert list(ChatMessage.objects.all()) == [message]
    message.refresh_from_db()
    assert message.read_at is None


def test_the_status_is_read_fresh_when_sending(appointment):
    # A stale object in memory must not reopen a chat cancelled meanwhile.
    type(appointment).objects.filter(pk=appointment.pk).update(status=AppointmentStatus.CANCELLED)

    with pytest.raises(ValidationError) as caught:
        message_send(appointment=appointment, sender=appointment.patient, content="Hola")

    assert error_codes(caught.value) == ["chat_closed"]


def test_the_chat_window_runs_until_some_days_after_the_session(settings):
    settings.PSICO_CHAT = {"OPEN_DAYS_AFTER_SESSION": 2}
    end = timezone.now()
    appointment = AppointmentFactory.build(
        start=end - dt.timedelta(hours=1), end=end, status=AppointmentStatus.COMPLETED
    )

    assert chat_is_open(appointment=appointment, at=end + dt.timedelta(days=2))
    assert not chat_is_open(appointment=appointment, at=end + dt.timedelta(days=2, seconds=1))

    settings.PSICO_CHAT = {"OPEN_DAYS_AFTER_SESSION": None}
    assert chat_is_open(appointment=appointment, at=end + dt.timedelta(days=900))


def test_closed_statuses_are_a_setting(settings):
    appointment = AppointmentFactory.build(status=AppointmentStatus.NO_SHOW)
    assert chat_is_open(appointment=appointment)

    settings.PSICO_CHAT = {"CLOSED_STATUSES": ["cancelled", "no_show"]}

    assert not chat_is_open(appointment=appointment)
    assert chat_is_open(appointment=AppointmentFactory.build(status=AppointmentStatus.PENDING))


def test_mark_read_marks_the_other_side_messages_up_to_the_id(
    appointment, django_capture_on_commit_callbacks
):
    patient, professional = appointment.patient, appointment.psychologist
    first = ChatMessageFactory(appointment=appointment, sender=patient)
    own = ChatMessageFactory(appointment=appointment, sender=professional)
    second = ChatMessageFactory(appointment=appointment, sender=patient)
    later = ChatMessageFactory(appointment=appointment, sender=patient)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        changed = message_mark_read(
            appointment=appointment, reader=professional, up_to_id=second.pk
        )

    read = set(ChatMessage.objects.filter(read_at__isnull=False).values_list("pk", flat=True))
    assert changed == 2
    assert read == {first.pk, second.pk}
    assert own.pk not in read and later.pk not in read
    assert len(callbacks) == 1


def test_mark_read_twice_changes_nothing_and_broadcasts_nothing(
    appointment, django_capture_on_commit_callbacks
):
    message = ChatMessageFactory(appointment=appointment, sender=appointment.patient)
    message_mark_read(appointment=appointment, reader=appointment.psychologist, up_to_id=message.pk)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        changed = message_mark_read(
            appointment=appointment, reader=appointment.psychologist, up_to_id=message.pk
        )

    assert changed == 0
    assert callbacks == []


def test_mark_read_refuses_a_message_of_another_chat(appointment):
    elsewhere = ChatMessageFactory()

    with pytest.raises(ValidationError) as caught:
        message_mark_read(
            appointment=appointment, reader=appointment.patient, up_to_id=elsewhere.pk
        )

    assert error_codes(caught.value) == ["unknown_message"]
