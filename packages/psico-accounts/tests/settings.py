from psico_accounts.testing.settings import *  # noqa: F403

SECRET_KEY = "psico-accounts-tests"
ROOT_URLCONF = "tests.urls"
