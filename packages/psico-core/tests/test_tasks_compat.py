"""retry_later: a task enqueues itself again after the caller's delay, until the delays are
spent, and only on a backend that can defer."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from psico_core.tasks_compat import (
    IMMEDIATE_BACKEND,
    retry_delays_valid,
    retry_later,
    task_backends,
)

from tests.tasks import again

# Keeps what is enqueued, and can defer it (django.tasks or the django-tasks backport).
DUMMY_BACKEND = IMMEDIATE_BACKEND.replace("immediate.ImmediateBackend", "dummy.DummyBackend")


@pytest.fixture
def dummy_backend(settings):
    settings.TASKS = {"default": {"BACKEND": DUMMY_BACKEND}}
    backend = task_backends["default"]
    yield backend
    backend.clear()


def test_a_retry_is_enqueued_with_the_next_attempt_after_its_delay(dummy_backend):
    before = timezone.now()

    assert retry_later(again, attempt=2, delays=[10, 300, 900], word="hola")

    [result] = dummy_backend.results
    assert result.kwargs == {"attempt": 3, "word": "hola"}
    assert result.task.func is again.func
    assert result.task.run_after - before >= dt.timedelta(seconds=300)
    assert result.task.run_after - timezone.now() <= dt.timedelta(seconds=300)


def test_nothing_is_enqueued_once_the_delays_are_spent(dummy_backend):
    assert not retry_later(again, attempt=3, delays=[10, 300], word="hola")
    assert not retry_later(again, attempt=1, delays=[], word="hola")
    assert dummy_backend.results == []


def test_a_backend_that_cannot_defer_gets_no_retry(settings):
    settings.TASKS = {"default": {"BACKEND": IMMEDIATE_BACKEND}}
    assert not task_backends["default"].supports_defer

    assert not retry_later(again, attempt=1, delays=[10], word="hola")


@pytest.mark.parametrize(
    ("delays", "valid"),
    [
        ([], True),
        ((60, 300), True),
        ([0, 2.5], True),
        ([-1], False),
        ([True], False),
        (["60"], False),
        (60, False),
        ("60", False),
        (None, False),
    ],
)
def test_retry_delays_are_a_list_of_seconds_not_below_zero(delays, valid):
    assert retry_delays_valid(delays) is valid
