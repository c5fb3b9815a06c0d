from psico_core.testing.settings import *  # noqa: F403

SECRET_KEY = "psico-core-tests"
ROOT_URLCONF = "tests.urls"
ALLOWED_HOSTS = ["testserver", "api.example.com"]
# Read by psico_core.asgi (django-cors-headers need not be installed for that).
CORS_ALLOWED_ORIGINS = ["https://app.example.com"]
