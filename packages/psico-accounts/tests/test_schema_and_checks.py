import io

from django.core.management import call_command
from django.test import override_settings
from psico_accounts.checks import check_reset_email_template, check_settings, check_throttle_rates


def test_openapi_schema_has_no_warnings(tmp_path):
    target = tmp_path / "schema.yaml"
    call_command(
        "spectacular", "--fail-on-warn", "--validate", "--file", str(target), stderr=io.StringIO()
    )
    schema = target.read_text()
    assert "operationId: professionals_me_partial_update" in schema
    assert "operationId: users_me_retrieve" in schema


@override_settings(PSICO_ACCOUNTS={"LOGIN_THROTTLE_RATE": "lots", "UNKNOWN": 1})
def test_checks_report_bad_settings():
    assert [error.id for error in check_throttle_rates(None)] == ["psico_accounts.E004"]
    assert "psico_accounts.E001" in [error.id for error in check_settings(None)]


def test_check_passes_when_the_package_templates_come_first():
    assert check_reset_email_template(None) == []


def test_check_warns_when_the_admin_template_would_win(settings):
    apps = [app for app in settings.INSTALLED_APPS if app != "psico_accounts"]
    with override_settings(INSTALLED_APPS=[*apps, "psico_accounts"]):
        assert [w.id for w in check_reset_email_template(None)] == ["psico_accounts.W002"]
