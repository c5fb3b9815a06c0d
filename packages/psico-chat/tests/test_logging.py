"""RedactTokenFilter on records shaped exactly as uvicorn writes them, and on a real uvicorn."""

from __future__ import annotations

import asyncio
import logging
import socket

import pytest
import websockets
from channels.db import database_sync_to_async
from psico_chat.logging import RedactTokenFilter
from uvicorn.logging import AccessFormatter, DefaultFormatter

TOKEN = "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b"


def uvicorn_record(logger_name: str, msg: str, args: tuple) -> logging.LogRecord:
    return logging.getLogger(logger_name).makeRecord(
        logger_name, logging.INFO, __file__, 1, msg, args, None
    )


def test_the_websocket_request_line_loses_its_token():
    # uvicorn's WebSocket protocols log the handshake through "uvicorn.error" like this.
    record = uvicorn_record(
        "uvicorn.error",
        '%s - "WebSocket %s" [accepted]',
        ("127.0.0.1:51000", f"/ws/chat/7/?token={TOKEN}"),
    )

    assert RedactTokenFilter().filter(record) is True
    line = DefaultFormatter("%(levelprefix)s %(message)s", use_colors=False).format(record)

    assert TOKEN not in line
    assert line == 'INFO:     127.0.0.1:51000 - "WebSocket /ws/chat/7/?token=[redacted]" [accepted]'


def test_the_access_log_keeps_its_argument_shape():
    record = uvicorn_record(
        "uvicorn.access",
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:51000", "GET", f"/api/chat/7/messages/?after=3&token={TOKEN}&x=1", "1.1", 200),
    )

    RedactTokenFilter().filter(record)
    line = AccessFormatter(
        '%(client_addr)s - "%(request_line)s" %(status_code)s', use_colors=False
    ).format(record)

    assert line == (
        '127.0.0.1:51000 - "GET /api/chat/7/messages/?after=3&token=[redacted]&x=1 HTTP/1.1" 200 OK'
    )


def test_messages_and_mapping_arguments_are_redacted_too():
    inline = uvicorn_record("uvicorn.error", f"GET /ws/chat/1/?token={TOKEN}", ())
    mapping = logging.LogRecord("x", logging.INFO, __file__, 1, "%(path)s", None, None)
    mapping.args = {"path": f"/ws/chat/1/?lang=es&token={TOKEN}", "status": 403}

    for record in (inline, mapping):
        RedactTokenFilter().filter(record)

    assert inline.getMessage() == "GET /ws/chat/1/?token=[redacted]"
    assert mapping.args == {"path": "/ws/chat/1/?lang=es&token=[redacted]", "status": 403}


def test_text_without_a_token_parameter_is_untouched():
    record = uvicorn_record("uvicorn.error", "%s", ("/ws/chat/1/?tokens=ok&mytoken=ok",))

    RedactTokenFilter().filter(record)

    assert record.getMessage() == "/ws/chat/1/?tokens=ok&mytoken=ok"


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(DefaultFormatter("%(levelprefix)s %(message)s", use_colors=False))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
async def uvicorn_server():
    """The test ASGI app served by a real uvicorn in this event loop, on a free port."""
    import uvicorn

    from tests.asgi import application  # attaches RedactTokenFilter to uvicorn's loggers

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    # Listening already, so clients queue in the backlog until uvicorn starts accepting.
    sock.listen()
    config = uvicorn.Config(application, lifespan="off", log_config=None, log_level="info")
    server = uvicorn.Server(config)
    task = asyncio.ensure_future(server.serve(sockets=[sock]))
    try:
        yield sock.getsockname()[1]
    finally:
        server.should_exit = True
        await task
        sock.close()


@pytest.mark.django_db(transaction=True)
async def test_a_real_uvicorn_logs_the_handshake_without_the_token(uvicorn_server, appointment):
    from psico_accounts.testing.tokens import token_key_for

    token = await database_sync_to_async(token_key_for)(appointment.patient)
    handler = _Lines()
    uvicorn_logger = logging.getLogger("uvicorn.error")
    uvicorn_logger.addHandler(handler)
    base = f"ws://127.0.0.1:{uvicorn_server}/ws/chat/{appointment.pk}/"
    try:
        async with websockets.connect(f"{base}?token={token}", origin="http://localhost") as ws:
            await ws.send('{"type": "history"}')
            assert '"history"' in await ws.recv()
        # A real client sees the close code, not a bare HTTP 403.
        async with websockets.connect(f"{base}?token=wrong", origin="http://localhost") as ws:
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await ws.recv()
    finally:
        uvicorn_logger.removeHandler(handler)

    assert closed.value.rcvd.code == 4401
    handshakes = [line for line in handler.lines if '"WebSocket /ws/chat/' in line]
    assert len(handshakes) == 2
    assert all("?token=[redacted]" in line for line in handshakes)
    assert not any(token in line or "token=wrong" in line for line in handler.lines)


@pytest.mark.parametrize(
    "query",
    [
        f"%74oken={TOKEN}",
        f"TOKEN={TOKEN}",
        f"t%6Fken={TOKEN}",
        f"To%4Ben={TOKEN}&token={TOKEN}",
        f"a=1&token={TOKEN}&token={TOKEN}",
        f"token={TOKEN[:20]}+{TOKEN[20:]}",
        f"x=%22&token={TOKEN}",
        f'x="&token={TOKEN}',
        f"lang=es;token={TOKEN}",
        f"ticket={TOKEN}",
        f"TiCkEt={TOKEN}&%74icket={TOKEN}",
    ],
)
def test_every_spelling_the_server_decodes_is_redacted(query):
    from urllib.parse import parse_qs

    record = uvicorn_record(
        "uvicorn.error",
        '%s - "WebSocket %s" [accepted]',
        ("127.0.0.1:51000", f"/ws/chat/7/?{query}"),
    )

    RedactTokenFilter().filter(record)
    line = record.getMessage()

    assert TOKEN[:20] not in line and TOKEN[20:] not in line, line
    assert line.endswith('" [accepted]')
    # Whatever names the server decodes as token or ticket, their values are gone.
    parsed = parse_qs(line.split("?", 1)[1].split('"')[0])
    for name in ("token", "ticket"):
        assert set(parsed.get(name, [])) <= {"[redacted]"}


@pytest.mark.django_db(transaction=True)
async def test_a_percent_encoded_token_name_is_redacted_on_a_real_uvicorn(
    uvicorn_server, appointment
):
    from psico_accounts.testing.tokens import token_key_for

    token = await database_sync_to_async(token_key_for)(appointment.patient)
    handler = _Lines()
    uvicorn_logger = logging.getLogger("uvicorn.error")
    uvicorn_logger.addHandler(handler)
    url = f"ws://127.0.0.1:{uvicorn_server}/ws/chat/{appointment.pk}/?%74oken={token}"
    try:
        # The server decodes the name, so the socket is authenticated...
        async with websockets.connect(url, origin="http://localhost") as ws:
            await ws.send('{"type": "history"}')
            assert '"history"' in await ws.recv()
    finally:
        uvicorn_logger.removeHandler(handler)

    # ... and the log line must not show the key either.
    handshakes = [line for line in handler.lines if '"WebSocket /ws/chat/' in line]
    assert handshakes and all("%74oken=[redacted]" in line for line in handshakes)
    assert not any(token in line for line in handler.lines)
