import os
import tempfile

from psico_accounts.testing.settings import databases_from_env

SECRET_KEY = "psico-scheduling-tests"
DATABASES = databases_from_env()
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # A file, not memory: the concurrency tests' threads must share one test database.
    DATABASES["default"]["TEST"] = {
        "NAME": os.path.join(tempfile.gettempdir(), f"psico_scheduling_{os.getpid()}.sqlite3")
    }
INSTALLED_APPS = [
    # Before the admin, so that its templates (password reset email) take precedence.
    "psico_accounts",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "psico_scheduling",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
ROOT_URLCONF = "tests.urls"
AUTH_USER_MODEL = "psico_accounts.User"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
USE_TZ = True
TIME_ZONE = "America/La_Paz"
LANGUAGE_CODE = "es"
LANGUAGES = [("es", "Español"), ("en", "English")]
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PAGINATION_CLASS": "psico_accounts.query.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_SCHEMA_CLASS": "psico_accounts.schema.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Psico scheduling",
    "ENUM_NAME_OVERRIDES": {
        "AppointmentStatusEnum": "psico_scheduling.models.AppointmentStatus",
        "WeekdayEnum": "psico_scheduling.models.Weekday",
    },
}
