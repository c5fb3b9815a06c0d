from psico_accounts.testing.settings import *  # noqa: F403
from psico_accounts.testing.settings import INSTALLED_APPS, MIDDLEWARE

SECRET_KEY = "psico-records-tests"
ROOT_URLCONF = "tests.urls"
INSTALLED_APPS = [*INSTALLED_APPS, "psico_scheduling", "psico_records"]
# Audit events announced inside services know their request (client address, signed-in user).
MIDDLEWARE = [*MIDDLEWARE, "psico_core.audit.AuditRequestMiddleware"]
SPECTACULAR_SETTINGS = {
    "TITLE": "Psico records",
    "ENUM_NAME_OVERRIDES": {
        "AppointmentStatusEnum": "psico_scheduling.models.AppointmentStatus",
        "SessionModalityEnum": "psico_accounts.models.SessionModality",
    },
}
