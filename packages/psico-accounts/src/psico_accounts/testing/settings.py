"""Settings for the test suites of projects that use the Psico apps: psico_core's base test
settings (:mod:`psico_core.testing.settings`) with the accounts app and its user model.

A test settings module starts from these and adds its own apps::

    from psico_accounts.testing.settings import *  # noqa: F403
    from psico_accounts.testing.settings import INSTALLED_APPS

    SECRET_KEY = "my-project-tests"
    INSTALLED_APPS = [*INSTALLED_APPS, "psico_scheduling", "my_app"]
    ROOT_URLCONF = "tests.urls"
"""

from __future__ import annotations

from psico_core.testing import settings as _core
from psico_core.testing.settings import *  # noqa: F403

__all__ = [*_core.__all__, "AUTH_USER_MODEL"]

INSTALLED_APPS = [
    # Before django.contrib.admin, whose registration/password_reset_email.html would win.
    "psico_accounts",
    # API tokens are psico_accounts' own (per device, hashed): no DRF authtoken table.
    *(app for app in _core.INSTALLED_APPS if app != "rest_framework.authtoken"),
    # Its tables, for the tests that run tasks through the database and a worker.
    "django_tasks_db",
]
AUTH_USER_MODEL = "psico_accounts.User"
REST_FRAMEWORK = {
    **_core.REST_FRAMEWORK,
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "psico_accounts.authentication.DeviceTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
}
