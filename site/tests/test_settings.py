"""The settings module reads its configuration from the environment."""

import re
import runpy

import pytest
from django.core.exceptions import ImproperlyConfigured

from .conftest import SITE_DIR

SETTINGS_FILE = SITE_DIR / "config" / "settings.py"

# Every variable config/settings.py reads, so that the developer's shell cannot leak in.
SETTINGS_ENV = (
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "DATABASE_URL",
    "SQLITE_TIMEOUT",
    "CONN_MAX_AGE",
    "CONN_HEALTH_CHECKS",
    "DATABASE_POOL",
    "DATABASE_POOL_MIN_SIZE",
    "DATABASE_POOL_MAX_SIZE",
    "CACHE_URL",
    "REDIS_URL",
    "SINGLE_PROCESS",
    "TIME_ZONE",
    "STATIC_ROOT",
    "MEDIA_URL",
    "MEDIA_ROOT",
    "EMAIL_URL",
    "EMAIL_TIMEOUT",
    "DEFAULT_FROM_EMAIL",
    "SERVER_EMAIL",
    "CORS_ALLOWED_ORIGINS",
    "CORS_ALLOW_CREDENTIALS",
    "CSRF_TRUSTED_ORIGINS",
    "SECURE_PROXY_SSL_HEADER",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "THROTTLE_RATE_LOGIN",
    "THROTTLE_RATE_PASSWORD_RESET",
    "THROTTLE_RATE_REGISTER",
    "LOG_LEVEL",
    "TASKS_BACKEND",
    "FRONTEND_URL",
    "FRONTEND_APPOINTMENT_PATH",
    "REMINDER_OFFSETS_MINUTES",
    "WEBHOOK_ALLOWED_NETWORKS",
    "WAITLIST_HOLD_MINUTES",
    "WEB_CLIENT_ROOT",
    "PASSWORD_RESET_URL",
    "EMAIL_VERIFICATION_URL",
    "CORS_ALLOWED_ORIGIN_REGEXES",
    "RECORDS_ENCRYPTION_KEYS",
    "TOKEN_TTL",
    "THROTTLE_RATE_EMAIL_VERIFICATION",
    "REQUIRE_VERIFIED_EMAIL_TO_BOOK",
)
PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "k" * 20 + "-production-only-" + "x" * 20,
    "EMAIL_URL": "smtp+tls://clinic%40gmail.com:app-password@smtp.gmail.com:587",
    "RECORDS_ENCRYPTION_KEYS": "o2e3UfT0m8OaU3Gy0Gq5WaJCl3mShcM0VgXn7Yz2b0U=",
}


def mail_settings(settings: dict) -> dict:
    """The default mailer's backend and connection, from MAILERS (Django 6.1+) or EMAIL_*."""
    if "MAILERS" in settings:
        default = settings["MAILERS"]["default"]
        return {"backend": default["BACKEND"], **default["OPTIONS"]}
    return {
        "backend": settings["EMAIL_BACKEND"],
        "host": settings["EMAIL_HOST"],
        "port": settings["EMAIL_PORT"],
        "username": settings["EMAIL_HOST_USER"],
        "password": settings["EMAIL_HOST_PASSWORD"],
        "use_tls": settings["EMAIL_USE_TLS"],
        "use_ssl": settings["EMAIL_USE_SSL"],
        "timeout": settings["EMAIL_TIMEOUT"],
    }


@pytest.fixture
def load_settings(monkeypatch):
    """Evaluates config/settings.py afresh under the given environment; returns its names."""

    def load(**env: str) -> dict:
        for name in SETTINGS_ENV:
            monkeypatch.delenv(name, raising=False)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        return runpy.run_path(str(SETTINGS_FILE))

    return load


def test_every_variable_the_settings_read_is_cleared_between_tests():
    # A variable left out of SETTINGS_ENV would leak from the shell into these tests.
    read = set(re.findall(r'env\.\w+\(\s*"([A-Z_]+)"', SETTINGS_FILE.read_text()))
    assert read and read <= set(SETTINGS_ENV), sorted(read - set(SETTINGS_ENV))


def test_development_defaults_need_no_environment(load_settings):
    settings = load_settings(DEBUG="1")

    database = settings["DATABASES"]["default"]
    assert database["ENGINE"] == "django.db.backends.sqlite3"
    assert database["NAME"] == str(SITE_DIR / "db.sqlite3")
    assert database["OPTIONS"] == {"transaction_mode": "IMMEDIATE", "timeout": 20}
    assert settings["CHANNEL_LAYERS"]["default"]["BACKEND"] == (
        "channels.layers.InMemoryChannelLayer"
    )
    assert mail_settings(settings)["backend"] == "django.core.mail.backends.console.EmailBackend"
    assert settings["SECRET_KEY"]
    assert settings["TIME_ZONE"] == "America/La_Paz"
    assert settings["LANGUAGE_CODE"] == "es"
    assert [code for code, _name in settings["LANGUAGES"]] == ["es", "en"]
    assert settings["STORAGES"]["staticfiles"]["BACKEND"] == (
        "django.contrib.staticfiles.storage.StaticFilesStorage"
    )
    assert settings["CORS_ALLOWED_ORIGINS"] == [
        "https://psico-admin-sp1-despliegue-front.vercel.app",
        "http://localhost:3000",
        "http://localhost:5173",
        "http://localhost:8080",
    ]
    assert settings["MEDIA_ROOT"] == SITE_DIR / "media"


def test_redis_url_selects_the_redis_channel_layer(load_settings):
    settings = load_settings(DEBUG="1", REDIS_URL="redis://redis.internal:6380/3")

    layer = settings["CHANNEL_LAYERS"]["default"]
    assert layer["BACKEND"] == "channels_redis.core.RedisChannelLayer"
    [host] = layer["CONFIG"]["hosts"]
    assert host["address"] == "redis://redis.internal:6380/3"
    assert host["socket_timeout"] == 10
    assert host["retry"].get_retries() == 1


def test_database_url_is_parsed_with_connection_settings(load_settings):
    settings = load_settings(
        DEBUG="1",
        DATABASE_URL="postgres://psico:s3cret@db.internal:5433/psico",
        DATABASE_POOL="0",
        CONN_MAX_AGE="60",
        CONN_HEALTH_CHECKS="false",
    )

    database = settings["DATABASES"]["default"]
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert (database["NAME"], database["USER"], database["PASSWORD"]) == (
        "psico",
        "psico",
        "s3cret",
    )
    assert (database["HOST"], database["PORT"]) == ("db.internal", 5433)
    assert database["CONN_MAX_AGE"] == 60
    assert database["CONN_HEALTH_CHECKS"] is False
    assert "transaction_mode" not in database.get("OPTIONS", {})


def test_postgresql_pools_connections_by_default_with_conn_max_age_zero(load_settings):
    url = "postgres://psico@db.internal:5432/psico"
    default = load_settings(DEBUG="1", DATABASE_URL=url, CONN_MAX_AGE="60")
    sized = load_settings(
        DEBUG="1", DATABASE_URL=url, DATABASE_POOL_MIN_SIZE="1", DATABASE_POOL_MAX_SIZE="4"
    )

    # The pool wins over CONN_MAX_AGE, which Django refuses beside it.
    assert default["DATABASES"]["default"]["OPTIONS"]["pool"] == {"min_size": 2, "max_size": 10}
    assert default["DATABASES"]["default"]["CONN_MAX_AGE"] == 0
    assert sized["DATABASES"]["default"]["OPTIONS"]["pool"] == {"min_size": 1, "max_size": 4}


def test_database_pool_0_opts_out_and_keeps_conn_max_age(load_settings):
    url = "postgres://psico@db.internal:5432/psico"
    plain = load_settings(DEBUG="1", DATABASE_URL=url, DATABASE_POOL="0", CONN_MAX_AGE="60")

    assert "pool" not in plain["DATABASES"]["default"].get("OPTIONS", {})
    assert plain["DATABASES"]["default"]["CONN_MAX_AGE"] == 60


def test_sqlite_has_no_pool(load_settings):
    settings = load_settings(DEBUG="1", DATABASE_URL="sqlite:////tmp/psico.db")

    assert "pool" not in settings["DATABASES"]["default"]["OPTIONS"]


def test_sqlite_timeout_is_configurable(load_settings):
    settings = load_settings(DEBUG="1", DATABASE_URL="sqlite:////tmp/psico.db", SQLITE_TIMEOUT="5")

    database = settings["DATABASES"]["default"]
    assert database["NAME"] == "/tmp/psico.db"
    assert database["OPTIONS"] == {"transaction_mode": "IMMEDIATE", "timeout": 5}


def test_secret_key_is_required_without_debug(load_settings):
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY"):
        load_settings(DEBUG="0")


def test_production_hardening_without_debug(load_settings):
    settings = load_settings(
        **PRODUCTION,
        ALLOWED_HOSTS="api.psico.example,psico.example",
        SECURE_PROXY_SSL_HEADER="HTTP_X_FORWARDED_PROTO,https",
        CSRF_TRUSTED_ORIGINS="https://psico.example",
    )

    assert settings["DEBUG"] is False
    assert settings["SECRET_KEY"] == PRODUCTION["SECRET_KEY"]
    assert settings["ALLOWED_HOSTS"] == ["api.psico.example", "psico.example"]
    assert settings["CSRF_TRUSTED_ORIGINS"] == ["https://psico.example"]
    assert settings["STORAGES"]["staticfiles"]["BACKEND"] == (
        "whitenoise.storage.CompressedManifestStaticFilesStorage"
    )
    assert settings["SECURE_PROXY_SSL_HEADER"] == ("HTTP_X_FORWARDED_PROTO", "https")
    assert settings["SECURE_SSL_REDIRECT"] is True
    assert settings["SESSION_COOKIE_SECURE"] is True
    assert settings["CSRF_COOKIE_SECURE"] is True
    assert settings["SECURE_HSTS_SECONDS"] >= 60 * 60 * 24 * 365
    assert settings["WHITENOISE_USE_FINDERS"] is False


def test_malformed_proxy_ssl_header_is_refused(load_settings):
    with pytest.raises(ImproperlyConfigured, match="SECURE_PROXY_SSL_HEADER"):
        load_settings(DEBUG="1", SECURE_PROXY_SSL_HEADER="HTTP_X_FORWARDED_PROTO")


def test_gmail_smtp_from_email_url(load_settings):
    settings = load_settings(
        DEBUG="1", EMAIL_URL="smtp+tls://clinic%40gmail.com:abcdefghijklmnop@smtp.gmail.com:587"
    )

    assert mail_settings(settings) == {
        "backend": "django.core.mail.backends.smtp.EmailBackend",
        "host": "smtp.gmail.com",
        "port": 587,
        "username": "clinic@gmail.com",
        "password": "abcdefghijklmnop",
        "use_tls": True,
        "use_ssl": False,
        "timeout": 10,
    }


def test_throttle_rates_and_cors_origins_from_environment(load_settings):
    settings = load_settings(
        DEBUG="1",
        THROTTLE_RATE_LOGIN="3/minute",
        THROTTLE_RATE_PASSWORD_RESET="1/hour",
        THROTTLE_RATE_REGISTER="2/day",
        THROTTLE_RATE_EMAIL_VERIFICATION="4/day",
        CORS_ALLOWED_ORIGINS="https://app.psico.example",
    )

    assert settings["REST_FRAMEWORK"]["DEFAULT_THROTTLE_RATES"] == {
        "login": "3/minute",
        "password_reset": "1/hour",
        "register": "2/day",
        "email_verification": "4/day",
    }
    assert settings["CORS_ALLOWED_ORIGINS"] == ["https://app.psico.example"]


def test_cache_url_selects_the_cache(load_settings):
    settings = load_settings(DEBUG="1", CACHE_URL="redis://127.0.0.1:6379/9")

    cache = settings["CACHES"]["default"]
    # Django's Redis backend, with its connections shared across requests (psico_core.cache).
    assert cache["BACKEND"] == "psico_core.cache.RedisCache"
    assert cache["LOCATION"] == "redis://127.0.0.1:6379/9"


def test_redis_url_without_cache_url_shares_the_throttle_counters_in_redis(load_settings):
    settings = load_settings(**PRODUCTION, REDIS_URL="redis://redis.internal:6380/3")

    cache = settings["CACHES"]["default"]
    assert cache["BACKEND"] == "psico_core.cache.RedisCache"
    assert cache["LOCATION"] == "redis://redis.internal:6380/3"
    # Its own keys beside the channel layer's "asgi:" ones.
    assert cache["KEY_PREFIX"] == "psico-cache"
    # A Redis that is down is given up on quickly (the throttles then count locally).
    assert cache["OPTIONS"] == {"socket_connect_timeout": 1.0, "socket_timeout": 1.0}


def test_cache_url_wins_over_redis_url(load_settings):
    settings = load_settings(
        DEBUG="1", REDIS_URL="redis://redis.internal:6379/0", CACHE_URL="dbcache://psico_cache"
    )

    assert settings["CACHES"]["default"]["BACKEND"] == (
        "django.core.cache.backends.db.DatabaseCache"
    )


@pytest.mark.parametrize("redis_url", ["", "redis://127.0.0.1:6379/0"])
def test_development_keeps_the_cache_in_process_memory(load_settings, redis_url):
    settings = load_settings(DEBUG="1", REDIS_URL=redis_url)

    assert settings["CACHES"]["default"]["BACKEND"] == (
        "django.core.cache.backends.locmem.LocMemCache"
    )
    assert "SILENCED_SYSTEM_CHECKS" not in settings


def test_single_process_opts_out_of_the_shared_cache_check(load_settings):
    settings = load_settings(**PRODUCTION, SINGLE_PROCESS="1")

    assert settings["SILENCED_SYSTEM_CHECKS"] == ["psico_accounts.E005"]


def test_rest_framework_never_reads_x_forwarded_for(load_settings):
    settings = load_settings(**PRODUCTION)

    assert settings["REST_FRAMEWORK"]["NUM_PROXIES"] == 0


@pytest.mark.parametrize("email_url", [None, "consolemail://"])
def test_production_refuses_to_print_reset_codes_to_the_log(load_settings, email_url):
    env = {key: value for key, value in PRODUCTION.items() if key != "EMAIL_URL"}
    if email_url:
        env["EMAIL_URL"] = email_url

    with pytest.raises(ImproperlyConfigured, match="EMAIL_URL"):
        load_settings(**env)


def test_production_cors_defaults_leave_out_localhost(load_settings):
    settings = load_settings(**PRODUCTION)

    assert settings["CORS_ALLOWED_ORIGINS"] == [
        "https://psico-admin-sp1-despliegue-front.vercel.app"
    ]


def test_reminder_offsets_from_environment(load_settings):
    assert load_settings(DEBUG="1")["PSICO_NOTIFICATIONS"]["REMINDER_OFFSETS_MINUTES"] == [
        1440,
        120,
    ]
    settings = load_settings(DEBUG="1", REMINDER_OFFSETS_MINUTES="2880, 60,15")
    assert settings["PSICO_NOTIFICATIONS"]["REMINDER_OFFSETS_MINUTES"] == [2880, 60, 15]
    settings = load_settings(DEBUG="1", REMINDER_OFFSETS_MINUTES="")
    assert settings["PSICO_NOTIFICATIONS"]["REMINDER_OFFSETS_MINUTES"] == []


def test_the_waiting_list_hold_from_environment(load_settings):
    assert load_settings(DEBUG="1")["PSICO_SCHEDULING"] == {"WAITLIST_HOLD_MINUTES": 30}
    settings = load_settings(DEBUG="1", WAITLIST_HOLD_MINUTES="45")
    assert settings["PSICO_SCHEDULING"]["WAITLIST_HOLD_MINUTES"] == 45


@pytest.mark.parametrize("offsets", ["1440,2h", "-120", "1.5", "١٤٤٠"])
def test_malformed_reminder_offsets_are_refused(load_settings, offsets):
    with pytest.raises(ImproperlyConfigured, match="REMINDER_OFFSETS_MINUTES"):
        load_settings(DEBUG="1", REMINDER_OFFSETS_MINUTES=offsets)


def test_site_is_not_an_importable_package():
    # An importable "site" would shadow the standard library's site module.
    assert not (SITE_DIR / "__init__.py").exists()


def test_webhooks_reach_no_private_network_unless_named(load_settings):
    assert load_settings(DEBUG="1")["PSICO_NOTIFICATIONS"]["WEBHOOK_ALLOWED_NETWORKS"] == []
    settings = load_settings(DEBUG="1", WEBHOOK_ALLOWED_NETWORKS="10.0.0.0/8, 192.168.5.0/24")
    assert settings["PSICO_NOTIFICATIONS"]["WEBHOOK_ALLOWED_NETWORKS"] == [
        "10.0.0.0/8",
        "192.168.5.0/24",
    ]


def test_front_end_links_and_origin_patterns_come_from_the_environment(load_settings):
    default = load_settings(DEBUG="1")
    settings = load_settings(
        DEBUG="1",
        PASSWORD_RESET_URL="https://app.example.com/reset/{uid}/{token}",
        EMAIL_VERIFICATION_URL="https://app.example.com/verify/{uid}/{token}",
        CORS_ALLOWED_ORIGIN_REGEXES=r"^https://[a-z0-9-]+-clinic\.vercel\.app$ ^https://x\.bo$",
        WEB_CLIENT_ROOT="/srv/psico/web",
    )

    assert default["PSICO_ACCOUNTS"]["PASSWORD_RESET_URL"] is None
    assert default["PSICO_ACCOUNTS"]["EMAIL_VERIFICATION_URL"] is None
    assert default["CORS_ALLOWED_ORIGIN_REGEXES"] == []
    assert default["WEB_CLIENT_ROOT"] == SITE_DIR.parent / "clients" / "web" / "dist"
    assert settings["PSICO_ACCOUNTS"]["PASSWORD_RESET_URL"] == (
        "https://app.example.com/reset/{uid}/{token}"
    )
    assert settings["PSICO_ACCOUNTS"]["EMAIL_VERIFICATION_URL"] == (
        "https://app.example.com/verify/{uid}/{token}"
    )
    assert settings["CORS_ALLOWED_ORIGIN_REGEXES"] == [
        r"^https://[a-z0-9-]+-clinic\.vercel\.app$",
        r"^https://x\.bo$",
    ]
    assert str(settings["WEB_CLIENT_ROOT"]) == "/srv/psico/web"


@pytest.mark.parametrize(
    "url",
    [
        "https://app.example.com/reset/",
        "https://app.example.com/reset/{uid}",
        "javascript:alert(1)//{uid}{token}",
        "app.example.com/reset/{uid}/{token}",
    ],
)
@pytest.mark.parametrize("name", ["PASSWORD_RESET_URL", "EMAIL_VERIFICATION_URL"])
def test_a_front_end_link_without_uid_and_token_is_refused(load_settings, url, name):
    with pytest.raises(ImproperlyConfigured, match=name):
        load_settings(DEBUG="1", **{name: url})


def test_an_origin_pattern_that_is_no_regular_expression_is_refused(load_settings):
    with pytest.raises(ImproperlyConfigured, match="CORS_ALLOWED_ORIGIN_REGEXES"):
        load_settings(DEBUG="1", CORS_ALLOWED_ORIGIN_REGEXES="^https://(unclosed$")


def test_token_ttl_and_the_booking_rule_come_from_the_environment(load_settings):
    defaults = load_settings(DEBUG="1")["PSICO_ACCOUNTS"]
    assert (defaults["TOKEN_TTL"], defaults["REQUIRE_VERIFIED_EMAIL_TO_BOOK"]) == (
        30 * 24 * 3600,
        False,
    )
    changed = load_settings(DEBUG="1", TOKEN_TTL="3600", REQUIRE_VERIFIED_EMAIL_TO_BOOK="1")
    assert (
        changed["PSICO_ACCOUNTS"]["TOKEN_TTL"],
        changed["PSICO_ACCOUNTS"]["REQUIRE_VERIFIED_EMAIL_TO_BOOK"],
    ) == (3600, True)
