"""Keeps WebSocket tokens out of server logs.

Uvicorn writes the WebSocket request line, query string included
(``127.0.0.1:50312 - "WebSocket /ws/chat/7/?token=…" [accepted]``), through the
``uvicorn.error`` logger, and HTTP request lines through ``uvicorn.access``. Attach
:class:`RedactTokenFilter` to both loggers themselves (not through Django's ``LOGGING``, whose
``dictConfig`` would strip the handlers uvicorn installed on them), e.g. in ``asgi.py``::

    for name in ("uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).addFilter(RedactTokenFilter())
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping

_TOKEN_IN_QUERY = re.compile(r"(?i)([?&;]token=)[^&;#\s\"']+")
REDACTED = "[redacted]"


def redact_token(text: str) -> str:
    """``text`` with the value of every ``token=`` query parameter replaced by ``[redacted]``."""
    return _TOKEN_IN_QUERY.sub(rf"\g<1>{REDACTED}", text)


def _redact_value(value):
    return redact_token(value) if isinstance(value, str) else value


class RedactTokenFilter(logging.Filter):
    """A logging filter that removes ``?token=`` values from a record's message and arguments.

    Arguments keep their types and positions (uvicorn's access formatter unpacks them), only
    strings change. The record is never dropped.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact_token(record.msg)
        if isinstance(record.args, Mapping):
            record.args = {key: _redact_value(value) for key, value in record.args.items()}
        elif isinstance(record.args, tuple):
            record.args = tuple(_redact_value(value) for value in record.args)
        return True
