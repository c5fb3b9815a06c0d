"""Request parsers of the accounts API."""

from __future__ import annotations

from django.utils.http import parse_header_parameters
from django.utils.translation import gettext_lazy as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError

INCOMPLETE_MULTIPART = _("The body is not a complete multipart form.")


class _SizeWatch:
    """Reads through a stream, counting the bytes and keeping the first few."""

    HEAD = 256

    def __init__(self, stream):
        self._stream = stream
        self.size = 0
        self.head = b""

    def read(self, *args):
        chunk = self._stream.read(*args)
        if len(self.head) < self.HEAD:
            self.head += chunk[: self.HEAD - len(self.head)]
        self.size += len(chunk)
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
        watch = _SizeWatch(stream)
        parsed = super().parse(watch, media_type, parser_context)
        empty_form = b"--" + boundary.encode("latin-1") + b"--"
        if not parsed.data and not parsed.files and watch.head.strip() != empty_form:
            raise ParseError(INCOMPLETE_MULTIPART)
        return parsed
