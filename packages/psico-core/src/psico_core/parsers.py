"""Request parsers of the Psico APIs, and the strict JSON reader they share with the chat socket."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.utils.http import parse_header_parameters
from django.utils.translation import gettext_lazy as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError

INCOMPLETE_MULTIPART = _("The body is not a complete multipart form.")


class _HeadWatch:
    """Reads through a stream, keeping its first few bytes."""

    HEAD = 256

    def __init__(self, stream):
        self._stream = stream
        self.head = b""

    def read(self, *args):
        chunk = self._stream.read(*args)
        if len(self.head) < self.HEAD:
            self.head += chunk[: self.HEAD - len(self.head)]
        return chunk


class MultiPartParser(parsers.MultiPartParser):
    """DRF's multipart parser, refusing a body that is not a multipart form.

    Django skips whatever is not a well-formed part, so a body of garbage (or a lone value
    between two boundaries) would be read as a form with no fields: a successful request that
    changes nothing. A body from which no field or file could be read must be the empty form,
    nothing but the closing delimiter ``--<boundary>--``.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        boundary = parse_header_parameters(media_type or "")[1].get("boundary", "")
        if not boundary or stream is None:
            # Django's parser answers a missing boundary itself; no body means no form at all.
            return super().parse(stream, media_type, parser_context)
        watch = _HeadWatch(stream)
        # DRF's parser only reads the stream; the stubs ask for a whole IO object.
        parsed = super().parse(watch, media_type, parser_context)  # type: ignore[arg-type]
        empty_form = b"--" + boundary.encode("latin-1") + b"--"
        if not parsed.data and not parsed.files and watch.head.strip() != empty_form:
            raise ParseError(INCOMPLETE_MULTIPART)
        return parsed


# --- JSON read strictly ---------------------------------------------------------------------

# Deeper than any document of the API (the deepest request body nests three levels); a bound
# keeps a hostile body from costing recursion in the parser and in every walk over the result.
JSON_MAX_DEPTH = 32

NESTED_TOO_DEEPLY = _("The JSON is nested too deeply (more than %(limit)s levels).")
LONE_SURROGATE = _(
    "The JSON contains a lone UTF-16 surrogate (an unpaired \\ud800–\\udfff escape), which is "
    "not text."
)
NOT_JSON = _("The body is not valid JSON.")


class UnreadableJSON(ValueError):
    """Raised by :func:`json_loads_strict`; ``str()`` of it is a translated message."""


def has_lone_surrogate(text: str) -> bool:
    """True when ``text`` holds an unpaired UTF-16 surrogate (not text: no UTF-8 for it)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def check_json_value(value: Any, *, max_depth: int = JSON_MAX_DEPTH) -> None:
    """Raise :class:`UnreadableJSON` when ``value`` nests deeper than ``max_depth`` levels or
    holds a string (key or value) that is not valid Unicode text (a lone surrogate, which no
    database column, log line or UTF-8 encoder accepts). Iterative: no recursion to exhaust."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if has_lone_surrogate(item):
                raise UnreadableJSON(str(LONE_SURROGATE))
            continue
        if not isinstance(item, (dict, list)):
            continue
        if depth > max_depth:
            raise UnreadableJSON(str(NESTED_TOO_DEEPLY % {"limit": max_depth}))
        if isinstance(item, dict):
            for key, child in item.items():
                if has_lone_surrogate(key):
                    raise UnreadableJSON(str(LONE_SURROGATE))
                stack.append((child, depth + 1))
        else:
            stack.extend((child, depth + 1) for child in item)


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


def json_loads_strict(text: str | bytes, *, max_depth: int = JSON_MAX_DEPTH) -> Any:
    """``json.loads`` for input from clients: standard JSON only (no ``NaN``/``Infinity``), at
    most ``max_depth`` levels of nesting and no lone surrogates, else :class:`UnreadableJSON`.

    Python's decoder recurses once per level and raises ``RecursionError`` (not a
    ``ValueError``) on a deep enough document, which would escape every ``except ValueError``.
    """
    try:
        value = json.loads(text, parse_constant=_refuse_constant)
    except RecursionError as exc:
        raise UnreadableJSON(str(NESTED_TOO_DEEPLY % {"limit": max_depth})) from exc
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError, a refused constant
        raise UnreadableJSON(str(NOT_JSON)) from exc
    check_json_value(value, max_depth=max_depth)
    return value


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser reading with :func:`json_loads_strict`: a body nested too deeply,
    holding a lone surrogate or a ``NaN`` is a 400 (DRF's own answers a deep body with a 500)."""

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            raw = stream.read() if stream is not None else b""
            text = raw.decode(encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise ParseError(NOT_JSON) from exc
        try:
            return json_loads_strict(text)
        except UnreadableJSON as exc:
            raise ParseError(str(exc)) from exc
