"""What the chat's sockets share: a channel-layer group, strict JSON frames, clean closes.

:class:`LayerSocketConsumer` is the base of ``ws/chat/<id>/``
(:class:`~psico_chat.consumers.ChatConsumer`) and ``ws/notifications/``
(:class:`~psico_chat.live.NotificationsConsumer`). It keeps nothing per socket beyond a few
attributes: no task or queue of its own.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar

from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.layers import get_channel_layer
from channels.utils import await_many_dispatch
from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from psico_core.parsers import UnreadableJSON, json_loads_strict

from .conf import chat_settings

logger = logging.getLogger(__name__)

CLOSE_NOT_AUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404
# The channel layer is unreachable (at connect, or it dropped under an open socket): reconnect
# after a pause (and, in a chat, send ``resume``). 1013 is the standard "Try Again Later".
CLOSE_TRY_AGAIN_LATER = 1013


def language_from_scope(scope) -> str:
    """The language of a socket's handshake: its ``Accept-Language`` header and cookie."""
    request = HttpRequest()
    for name, value in scope.get("headers", []):
        if name == b"accept-language":
            request.META["HTTP_ACCEPT_LANGUAGE"] = value.decode("latin-1")
    request.COOKIES = scope.get("cookies", {})
    return translation.get_language_from_request(request)


class LayerSocketConsumer(AsyncJsonWebsocketConsumer):
    """A JSON socket in one channel-layer group, closed with 1013 when the layer fails.

    A subclass names itself in the log (``socket_label``), says what its layer-lost event is
    called (``layer_lost_event``, handled by a method of that name that calls
    :meth:`close_layer_lost`) and how large a client frame may be (:meth:`max_frame_bytes`).
    Its ``connect`` starts with :meth:`_authenticated_user` and joins with :meth:`_join`;
    every client frame that passes the shared checks of :meth:`receive` (rate, text, size,
    strict JSON) reaches ``receive_json`` as it was parsed, an object or not.
    """

    socket_label: ClassVar[str]
    layer_lost_event: ClassVar[str]
    # Frame types: what a client may send, each with the name of its handler method, and
    # what the server sends (documented in the host's AsyncAPI document).
    client_frames: ClassVar[dict[str, str]]
    server_frames: ClassVar[frozenset[str]]

    group_name: str | None = None

    async def __call__(self, scope, receive, send):
        # Channels' own loop (AsyncConsumer.__call__, 4.x) awaits the layer's receive beside
        # the client's; when the layer (Redis) drops, that receive raises and the application
        # crashes, leaving the client without a close frame. Here the layer's side goes
        # through _receive_from_layer, which turns a failure into one close with 1013.
        self.scope = scope
        self.base_send = send
        # None when no layer is configured; types-channels declares it always present.
        self.channel_layer = get_channel_layer(self.channel_layer_alias)  # type: ignore[assignment]
        self._layer_lost = False
        sources = [receive, *self._own_sources()]
        if self.channel_layer is not None:
            self.channel_name = await self.channel_layer.new_channel()
            # A layer's messages, not the client's ASGI events (as types-channels has it).
            self.channel_receive = functools.partial(  # type: ignore[assignment]
                self.channel_layer.receive, self.channel_name
            )
            sources.append(self._receive_from_layer)
        try:
            await await_many_dispatch(sources, self.dispatch)
        except StopConsumer:
            pass

    def _own_sources(self) -> list[Callable[[], Awaitable[dict[str, Any]]]]:
        """Further event sources of the socket, dispatched in turn with the others; none."""
        return []

    async def _receive_from_layer(self) -> dict[str, Any]:
        if self._layer_lost:
            await asyncio.Event().wait()  # reported once; the client's disconnect ends us
        try:
            return await self.channel_receive()  # type: ignore[return-value]  # as in __call__
        except (asyncio.CancelledError, StopConsumer):
            raise
        except Exception:
            self._layer_lost = True
            logger.warning(
                "The channel layer failed under an open %s socket; closing it with %s.",
                self.socket_label,
                CLOSE_TRY_AGAIN_LATER,
                exc_info=True,
            )
            return {"type": self.layer_lost_event}

    async def close_layer_lost(self) -> None:
        """Close the socket whose channel layer failed (the ``layer_lost_event`` handler)."""
        await self.close(code=CLOSE_TRY_AGAIN_LATER)

    # Connecting ---------------------------------------------------------------------------

    async def _authenticated_user(self):
        """The signed-in user of the handshake, or None once refused with 4401.

        Sets the socket's language and frame window first, which every refusal needs.
        """
        self.language = language_from_scope(self.scope)
        self.frame_times: deque[float] = deque()
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self._refuse(CLOSE_NOT_AUTHENTICATED)
            return None
        return user

    async def _join(self, group_name: str) -> bool:
        """Join ``group_name``; False once refused with 1013 (the layer is unreachable)."""
        if not await self._join_group(group_name):
            await self._refuse(CLOSE_TRY_AGAIN_LATER)
            return False
        self.group_name = group_name
        return True

    async def _join_group(self, group_name: str) -> bool:
        # Twice: after a Redis restart the first command may run on a pooled connection to
        # the old server and fail; the pool drops it, and the second attempt reconnects.
        # (redis_channel_layer's hosts retry each command too; a project's own may not.)
        for attempt in (1, 2):
            try:
                async with asyncio.timeout(chat_settings.CHANNEL_LAYER_TIMEOUT):
                    await self.channel_layer.group_add(group_name, self.channel_name)
            except Exception:
                logger.warning(
                    "A %s socket could not join %s (attempt %s).",
                    self.socket_label,
                    group_name,
                    attempt,
                    exc_info=True,
                )
            else:
                return True
        return False

    async def _refuse(self, code: int) -> None:
        # ASGI servers turn a close before accept into a plain HTTP 403 (uvicorn, daphne), so
        # the client would never see the code: accept first, then close with it.
        await self.accept()
        await self.close(code=code)

    async def disconnect(self, code: int) -> None:
        if self.group_name is None:
            return
        try:
            async with asyncio.timeout(chat_settings.CHANNEL_LAYER_TIMEOUT):
                await self.channel_layer.group_discard(self.group_name, self.channel_name)
        except Exception:
            logger.warning(
                "Could not leave the %s group %s.",
                self.socket_label,
                self.group_name,
                exc_info=True,
            )

    # Client frames ------------------------------------------------------------------------

    def max_frame_bytes(self) -> int:
        """The longest client frame read, in UTF-8 bytes."""
        return chat_settings.MAX_FRAME_BYTES

    async def receive(self, text_data=None, bytes_data=None, **kwargs) -> None:
        if self.group_name is None:
            return  # refused: frames that raced the close are ignored
        if not self._allow():
            await self._error("rate_limited", _("Too many frames; slow down."))
            return
        if text_data is None:
            await self._error("binary_not_supported", _("Send JSON text frames, not binary ones."))
            return
        limit = self.max_frame_bytes()
        # errors="replace": a lone surrogate (only a test client can send one) is counted,
        # not raised; the JSON parser refuses it below.
        if len(text_data) > limit or len(text_data.encode(errors="replace")) > limit:
            await self._error(
                "frame_too_large",
                _("The frame is too large; the limit is %(limit)s bytes."),
                params={"limit": limit},
            )
            return
        try:
            with translation.override(self.language):
                content = json_loads_strict(text_data)
        except UnreadableJSON as exc:
            # Nested too deeply, a lone surrogate, NaN, or not JSON at all.
            await self._error("invalid_json", str(exc))
            return
        await self.receive_json(content)

    def _allow(self) -> bool:
        # A sliding window of the socket's frames over RATE_LIMIT_SECONDS.
        now = time.monotonic()
        times = self.frame_times
        while times and now - times[0] >= chat_settings.RATE_LIMIT_SECONDS:
            times.popleft()
        if len(times) >= chat_settings.RATE_LIMIT_FRAMES:
            return False
        times.append(now)
        return True

    async def _error(self, code: str, detail, *, params: dict | None = None) -> None:
        await self.send_json(self._error_frame(code, detail, params=params))

    def _error_frame(self, code: str, detail, *, params: dict | None = None) -> dict[str, Any]:
        with translation.override(self.language):
            text = str(detail) % params if params else str(detail)
        return {"type": "error", "code": code, "detail": text}
