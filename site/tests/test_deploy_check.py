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
    "SECURE_PROXY_SSL_HEADER": "HTTP_X_FORWARDED_PROTO,https",
    "DATABASE_URL": "sqlite:///:memory:",
    "EMAIL_URL": "smtp+tls://clinic%40gmail.com:app-password@smtp.gmail.com:587",
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
