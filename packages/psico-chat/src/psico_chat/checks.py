from django.core.checks import Error, register

from .conf import CONTENT_MAX_LENGTH, DEFAULTS, chat_settings


def _is_positive_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


@register()
def check_settings(app_configs, **kwargs):
    from psico_scheduling.models import AppointmentStatus

    errors = []
    unknown = set(chat_settings.user_settings) - set(DEFAULTS)
    if unknown:
        errors.append(
            Error(f"Unknown PSICO_CHAT keys: {', '.join(sorted(unknown))}.", id="psico_chat.E001")
        )
    max_length = chat_settings.MAX_MESSAGE_LENGTH
    if not _is_positive_int(max_length) or max_length > CONTENT_MAX_LENGTH:
        errors.append(
            Error(
                "PSICO_CHAT['MAX_MESSAGE_LENGTH'] must be an integer from 1 to "
                f"{CONTENT_MAX_LENGTH}.",
                id="psico_chat.E002",
            )
        )
    for key in (
        "MAX_FRAME_BYTES",
        "HISTORY_PAGE_SIZE",
        "RATE_LIMIT_MESSAGES",
        "RATE_LIMIT_FRAMES",
        "RATE_LIMIT_SECONDS",
        "TICKET_TTL_SECONDS",
        "TICKET_RATE_LIMIT",
    ):
        if not _is_positive_int(getattr(chat_settings, key)):
            errors.append(
                Error(f"PSICO_CHAT['{key}'] must be a positive integer.", id="psico_chat.E003")
            )
    days = chat_settings.OPEN_DAYS_AFTER_SESSION
    if days is not None and not (
        isinstance(days, int) and not isinstance(days, bool) and days >= 0
    ):
        errors.append(
            Error(
                "PSICO_CHAT['OPEN_DAYS_AFTER_SESSION'] must be None or an integer >= 0.",
                id="psico_chat.E004",
            )
        )
    statuses = chat_settings.CLOSED_STATUSES
    if isinstance(statuses, str) or not set(statuses) <= set(AppointmentStatus.values):
        errors.append(
            Error(
                "PSICO_CHAT['CLOSED_STATUSES'] must be a list of appointment statuses "
                f"({', '.join(AppointmentStatus.values)}).",
                id="psico_chat.E005",
            )
        )
    timeout = chat_settings.CHANNEL_LAYER_TIMEOUT
    if not isinstance(timeout, int | float) or isinstance(timeout, bool) or timeout <= 0:
        errors.append(
            Error(
                "PSICO_CHAT['CHANNEL_LAYER_TIMEOUT'] must be a positive number.",
                id="psico_chat.E006",
            )
        )
    return errors
