"""Django's Tasks API whichever Django runs: ``django.tasks`` from 6.0, the backport before.

The django-tasks package is the same API published ahead of Django 6.0 (and what django-tasks-db
runs on there). Importing this module touches no setting, so settings files may use
:data:`IMMEDIATE_BACKEND`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import django

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
    "task",
    "task_backends",
]
