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
from urllib.parse import unquote_plus

# One query parameter as it appears in a logged URL: a separator, a name, "=", a value. The
# name is judged after percent-decoding, as the server's parse_qs reads it (so "%74oken" and
# "TOKEN" are caught); values stop at a separator, whitespace or a quote (no key or ticket
# contains one). ";" is no separator for parse_qs, but redacting after it costs nothing.
_QUERY_PARAMETER = re.compile(r"(?P<head>[?&;](?P<name>[^=&;?#\s\"']+)=)(?P<value>[^&;#\s\"']*)")
_SECRET_NAMES = frozenset({"token", "ticket"})
REDACTED = "[redacted]"


def _redact_parameter(match: re.Match) -> str:
    if unquote_plus(match["name"]).strip().lower() in _SECRET_NAMES:
        return match["head"] + REDACTED
    return match[0]


def redact_token(text: str) -> str:
    """``text`` with the value of every ``token`` and ``ticket`` query parameter replaced by
    ``[redacted]``, however the name is spelled (any case, percent-encoded)."""
    return _QUERY_PARAMETER.sub(_redact_parameter, text)


def _redact_value(value):
    return redact_token(value) if isinstance(value, str) else value


class RedactTokenFilter(logging.Filter):
    """A logging filter that removes ``token`` and ``ticket`` query values from a record's
    message and arguments.

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
