import os
import tempfile

from psico_accounts.testing.settings import *  # noqa: F403
from psico_accounts.testing.settings import DATABASES, INSTALLED_APPS

SECRET_KEY = "psico-scheduling-tests"
ROOT_URLCONF = "tests.urls"
INSTALLED_APPS = [*INSTALLED_APPS, "psico_scheduling"]
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # A file, not memory: the concurrency tests' threads must share one test database.
    DATABASES["default"]["TEST"] = {
        "NAME": os.path.join(tempfile.gettempdir(), f"psico_scheduling_{os.getpid()}.sqlite3")
    }
SPECTACULAR_SETTINGS = {
    "TITLE": "Psico scheduling",
    "ENUM_NAME_OVERRIDES": {
        "AppointmentStatusEnum": "psico_scheduling.models.AppointmentStatus",
        "WeekdayEnum": "psico_scheduling.models.Weekday",
        # An appointment's modality and a profile's default one are the same choice set.
        "SessionModalityEnum": "psico_accounts.models.SessionModality",
        "WaitlistStatusEnum": "psico_scheduling.models.WaitlistStatus",
    },
}
