from __future__ import annotations

import pytest
from django.urls import include, path
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from psico_chat.checks import check_settings


def test_default_settings_pass_the_checks():
    assert check_settings(None) == []


@pytest.mark.parametrize(
    "overrides, error_id",
    [
        ({"COLOUR": "blue"}, "psico_chat.E001"),
        ({"MAX_MESSAGE_LENGTH": 20_000}, "psico_chat.E002"),
        ({"HISTORY_PAGE_SIZE": 0}, "psico_chat.E003"),
        ({"RATE_LIMIT_SECONDS": "10"}, "psico_chat.E003"),
        ({"OPEN_DAYS_AFTER_SESSION": -1}, "psico_chat.E004"),
        ({"CLOSED_STATUSES": ["archived"]}, "psico_chat.E005"),
        ({"CHANNEL_LAYER_TIMEOUT": 0}, "psico_chat.E006"),
    ],
)
def test_bad_settings_are_reported(settings, overrides, error_id):
    settings.PSICO_CHAT = overrides

    assert [error.id for error in check_settings(None)] == [error_id]


def test_the_openapi_schema_has_no_warnings_and_stable_operation_ids():
    GENERATOR_STATS.reset()
    generator = SchemaGenerator(patterns=[path("api/chat/", include("psico_chat.urls"))])

    schema = generator.get_schema(request=None, public=True)

    assert not GENERATOR_STATS, "drf-spectacular emitted warnings or errors"
    operations = schema["paths"]["/api/chat/{appointment_id}/messages/"]
    assert operations["get"]["operationId"] == "chat_messages_list"
    assert operations["post"]["operationId"] == "chat_messages_create"
    assert {"ChatMessage", "ChatMessageCreate", "ChatMessagePage", "ChatUser"} <= set(
        schema["components"]["schemas"]
    )
