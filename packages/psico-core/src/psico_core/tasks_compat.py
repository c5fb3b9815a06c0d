"""Django's Tasks API whichever Django runs: ``django.tasks`` from 6.0, the backport before.

The django-tasks package is the same API published ahead of Django 6.0 (and what django-tasks-db
runs on there). Importing this module touches no setting, so settings files may use
:data:`IMMEDIATE_BACKEND`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import django
from django.utils import timezone

# A type checker reads Django's own module (django-stubs types it); the backport is the same API.
if TYPE_CHECKING or django.VERSION >= (6, 0):
    from django.tasks import default_task_backend, task, task_backends
    from django.tasks.base import TaskResultStatus

    IMMEDIATE_BACKEND = "django.tasks.backends.immediate.ImmediateBackend"
else:  # pragma: no cover - Django 5.2
    from django_tasks import default_task_backend, task, task_backends
    from django_tasks.base import TaskResultStatus

    IMMEDIATE_BACKEND = "django_tasks.backends.immediate.ImmediateBackend"

# Stores tasks in the database; a `manage.py db_worker` process runs them (django-tasks-db).
DATABASE_BACKEND = "django_tasks_db.DatabaseBackend"

__all__ = [
    "DATABASE_BACKEND",
    "IMMEDIATE_BACKEND",
    "TaskResultStatus",
    "default_task_backend",
    "retry_delays_valid",
    "retry_later",
    "task",
    "task_backends",
]


def retry_delays_valid(delays: object) -> bool:
    """Whether ``delays`` is what :func:`retry_later` takes: a list (or tuple) of seconds >= 0.
    For the system check of the app setting that holds them."""
    return isinstance(delays, (list, tuple)) and all(
        isinstance(delay, (int, float)) and not isinstance(delay, bool) and delay >= 0
        for delay in delays
    )


def retry_later(bound_task: Any, *, attempt: int, delays: Sequence[float], **kwargs: Any) -> bool:
    """Enqueue ``bound_task`` again, with ``attempt=attempt + 1`` and ``kwargs``, to run
    ``delays[attempt - 1]`` seconds from now; True when it did.

    ``delays`` is the caller's back-off (an app setting such as ``EMAIL_RETRY_DELAYS_SECONDS``).
    False once the delays are spent or when the task's backend cannot defer a task (the
    immediate backend runs inside the caller, where waiting is not an option): the caller then
    gives up, typically by raising its error.
    """
    if attempt > len(delays) or not bound_task.get_backend().supports_defer:
        return False
    run_after = timezone.now() + timedelta(seconds=delays[attempt - 1])
    bound_task.using(run_after=run_after).enqueue(attempt=attempt + 1, **kwargs)
    return True
