from psico_core.testing.settings import *  # noqa: F403
from psico_core.testing.settings import INSTALLED_APPS

SECRET_KEY = "psico-core-tests"
ROOT_URLCONF = "tests.urls"
ALLOWED_HOSTS = ["testserver", "api.example.com"]
# Read by psico_core.asgi (django-cors-headers need not be installed for that).
CORS_ALLOWED_ORIGINS = ["https://app.example.com"]
# psico_core.testing.worker runs django-tasks-db's worker (tests/test_testing_mail.py).
INSTALLED_APPS = [*INSTALLED_APPS, "django_tasks_db"]
