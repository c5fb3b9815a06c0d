"""A production-like environment passes ``manage.py check --deploy`` without a warning."""

import secrets
import string

PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "".join(
        secrets.choice(string.ascii_letters + string.digits + "!@#%^&*(-_=+)") for _ in range(50)
    ),
    "ALLOWED_HOSTS": "psico.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://psico.example.com",
    "DATABASE_URL": "sqlite:///:memory:",
    # Throttle counters shared by every worker; the check does not connect to it.
    "REDIS_URL": "redis://redis.internal:6379/0",
    "EMAIL_URL": "smtp+tls://clinic%40gmail.com:app-password@smtp.gmail.com:587",
    "RECORDS_ENCRYPTION_KEYS": "o2e3UfT0m8OaU3Gy0Gq5WaJCl3mShcM0VgXn7Yz2b0U=",
}


def test_check_deploy_is_clean(manage_py):
    result = manage_py("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key(manage_py):
    env = {key: value for key, value in PRODUCTION_ENV.items() if key != "SECRET_KEY"}

    result = manage_py("check", env=env)

    assert result.returncode != 0
    assert "Set the SECRET_KEY environment variable" in result.stderr


def test_process_local_throttle_cache_fails_check_deploy(manage_py):
    env = {key: value for key, value in PRODUCTION_ENV.items() if key != "REDIS_URL"}

    result = manage_py("check", "--deploy", env=env)

    assert result.returncode != 0
    assert "psico_accounts.E005" in result.stderr


def test_a_single_process_may_keep_its_counters_in_memory(manage_py):
    env = {key: value for key, value in PRODUCTION_ENV.items() if key != "REDIS_URL"}

    result = manage_py(
        "check", "--deploy", "--fail-level", "WARNING", env={**env, "SINGLE_PROCESS": "1"}
    )

    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_to_start_without_a_mail_backend(manage_py):
    env = {key: value for key, value in PRODUCTION_ENV.items() if key != "EMAIL_URL"}

    result = manage_py("check", env=env)

    assert result.returncode != 0
    assert "Set the EMAIL_URL environment variable" in result.stderr


def test_production_refuses_to_start_without_an_encryption_key(manage_py):
    # Clinical notes and chat messages would otherwise be sealed with the public development key.
    env = {key: value for key, value in PRODUCTION_ENV.items() if key != "RECORDS_ENCRYPTION_KEYS"}

    result = manage_py("check", env=env)

    assert result.returncode != 0
    assert "Set the RECORDS_ENCRYPTION_KEYS environment variable" in result.stderr


def test_a_malformed_encryption_key_fails_the_check(manage_py):
    result = manage_py("check", env={**PRODUCTION_ENV, "RECORDS_ENCRYPTION_KEYS": "not-a-key"})

    assert result.returncode != 0
    assert "psico_core.E003" in result.stderr
