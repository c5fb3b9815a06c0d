"""Keeps calendar feed secrets out of server logs.

A feed's secret is in its path (``/api/calendar/<secret>.ics``), which uvicorn writes in its
access log (``uvicorn.access``) and Django in its log of 4xx and 5xx answers
(``django.request``; the feed's view writes those itself, redacted). Attach
:class:`RedactCalendarSecretFilter` to uvicorn's loggers, beside psico-chat's
``RedactTokenFilter``, in the ``--log-config`` file::

    "filters": {
        "redact_calendar_secret": {
            "()": "psico_notifications.calendar_logging.RedactCalendarSecretFilter"
        }
    }

This module imports nothing from Django: uvicorn reads its log configuration before Django
is set up.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from urllib.parse import unquote

# The segment after ".../calendar/" in a logged path, unless it is "feed" (the signed-in
# routes): the secret, with or without ".ics", also when misspelled into a 404.
_FEED_SEGMENT = re.compile(r"(/calendar/)(?!feed(?:[/\s\"'?#]|$))[^/\s\"'?#]+", re.IGNORECASE)
REDACTED = "[redacted]"


def redact_calendar_secret(text: str) -> str:
    """``text`` with the secret of every calendar feed path replaced by ``[redacted]``.

    Percent-encoded paths are read decoded (as the server routes them), so
    ``/api%2Fcalendar%2F<secret>.ics`` is caught too; such a line is then logged decoded.
    """
    candidate = unquote(text) if "%" in text else text
    if _FEED_SEGMENT.search(candidate):
        return _FEED_SEGMENT.sub(r"\1" + REDACTED, candidate)
    return text


def _redact_value(value):
    return redact_calendar_secret(value) if isinstance(value, str) else value


class RedactCalendarSecretFilter(logging.Filter):
    """A logging filter that removes calendar feed secrets from a record's message and
    arguments (uvicorn's access and error loggers write request paths). Arguments keep their
    types and positions; the record is never dropped."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact_calendar_secret(record.msg)
        if isinstance(record.args, Mapping):
            record.args = {key: _redact_value(value) for key, value in record.args.items()}
        elif isinstance(record.args, tuple):
            record.args = tuple(_redact_value(value) for value in record.args)
        return True
