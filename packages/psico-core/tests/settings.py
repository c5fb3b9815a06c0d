from psico_core.testing.settings import *  # noqa: F403
from psico_core.testing.settings import INSTALLED_APPS

SECRET_KEY = "psico-core-tests"
ROOT_URLCONF = "tests.urls"
INSTALLED_APPS = [*INSTALLED_APPS, "channels"]
ALLOWED_HOSTS = ["testserver", "api.example.com"]
CORS_ALLOWED_ORIGINS = ["https://app.example.com"]
