"""Settings of the worker process that test_tasks.py starts: the tests' own, with tasks in the
database and email by SMTP to the test's server (:func:`psico_core.testing.worker.worker_settings`).
"""

from psico_core.testing.worker import worker_settings

from tests.settings import *  # noqa: F403

globals().update(worker_settings())
