"""Settings of the worker process that psico_core.testing.worker starts (on PostgreSQL)."""

from psico_core.testing.worker import worker_settings

from tests.settings import *  # noqa: F403

globals().update(worker_settings())
