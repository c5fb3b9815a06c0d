import os
import tempfile

from psico_accounts.testing.settings import *  # noqa: F403
from psico_accounts.testing.settings import DATABASES, INSTALLED_APPS

SECRET_KEY = "psico-notifications-tests"
ROOT_URLCONF = "tests.urls"
INSTALLED_APPS = [*INSTALLED_APPS, "psico_scheduling", "psico_notifications"]
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # A file, not memory: a worker (another connection) must see the test database.
    DATABASES["default"]["TEST"] = {
        "NAME": os.path.join(tempfile.gettempdir(), f"psico_notifications_{os.getpid()}.sqlite3")
    }
SPECTACULAR_SETTINGS = {"TITLE": "Psico notifications"}
