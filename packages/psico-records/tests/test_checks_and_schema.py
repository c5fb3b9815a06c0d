import pytest
from django.core.management import call_command
from psico_records.checks import check_settings


def test_the_default_settings_pass():
    assert check_settings(None) == []


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ({"MAX_NOTE_LENGHT": 10}, "psico_records.E001"),
        ({"MAX_NOTE_LENGTH": 0}, "psico_records.E002"),
        ({"MAX_NOTE_LENGTH": True}, "psico_records.E002"),
        ({"MAX_NOTE_LENGTH": "10000"}, "psico_records.E002"),
    ],
)
def test_bad_settings_fail_the_check(settings, value, error):
    settings.PSICO_RECORDS = value

    assert [problem.id for problem in check_settings(None)] == [error]


def test_the_limit_is_read_live(api_client_for, professional, appointment, settings):
    settings.PSICO_RECORDS = {"MAX_NOTE_LENGTH": 5}

    response = api_client_for(professional).post(
        "/api/records/notes/", {"appointment": appointment.pk, "content": "123456"}, format="json"
    )

    assert response.status_code == 400
    assert response.data["content"][0].code == "max_length"


def test_the_schema_generates_without_warnings(tmp_path):
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml")
    )

    text = (tmp_path / "schema.yaml").read_text()
    assert "/api/records/notes/{id}/revisions/" in text
    assert "/api/users/me/access-log/" in text
