"""The chat socket of the deployed ASGI application accepts the clinic's front ends.

The front end is served from another origin than the API (CORS_ALLOWED_ORIGINS); its browser
sends that origin in the WebSocket handshake, and the chat must work from there.
"""

import pytest
from channels.testing import WebsocketCommunicator

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

VERCEL = "https://psico-admin-sp1-despliegue-front.vercel.app"


@pytest.fixture
def patient_socket_path(appointment):
    from psico_accounts.testing.tokens import token_key_for

    return f"/ws/chat/{appointment.pk}/?token={token_key_for(appointment.patient)}"


def socket(path: str, origin: str) -> WebsocketCommunicator:
    from config.asgi import application

    return WebsocketCommunicator(
        application, path, headers=[(b"origin", origin.encode()), (b"host", b"testserver")]
    )


@pytest.mark.parametrize("origin", [VERCEL, "http://localhost:5173", "http://testserver"])
async def test_chat_from_an_allowed_front_end(patient_socket_path, origin):
    communicator = socket(patient_socket_path, origin)

    connected, _ = await communicator.connect(timeout=5)
    assert connected
    await communicator.send_json_to({"type": "chat.message", "message": "Hola"})
    reply = await communicator.receive_json_from(timeout=5)
    assert (reply["type"], reply["message"]) == ("chat.message", "Hola")
    await communicator.disconnect()


@pytest.mark.parametrize(
    "origin", ["https://evil.example", "https://psico-admin-sp1-despliegue-front.vercel.app.evil"]
)
async def test_chat_refuses_other_sites(patient_socket_path, origin):
    communicator = socket(patient_socket_path, origin)

    connected, _ = await communicator.connect(timeout=5)

    assert not connected


PREVIEWS = r"^https://[a-z0-9-]+-clinic\.vercel\.app$"


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        ("https://pr-12-clinic.vercel.app", True),
        ("https://clinic.vercel.app", False),
        ("https://pr-12-clinic.vercel.app.evil.example", False),
    ],
)
async def test_chat_from_an_origin_matching_a_cors_pattern(
    patient_socket_path, settings, origin, allowed
):
    from psico_chat.routing import chat_websocket_application
    from psico_core.asgi import get_asgi_application, websocket_application

    settings.CORS_ALLOWED_ORIGIN_REGEXES = [PREVIEWS]
    # Built after the setting changed, as a server process builds it at start.
    application = websocket_application(get_asgi_application(), chat_websocket_application())
    communicator = WebsocketCommunicator(
        application,
        patient_socket_path,
        headers=[(b"origin", origin.encode()), (b"host", b"testserver")],
    )

    connected, _ = await communicator.connect(timeout=5)

    assert connected is allowed
    if connected:
        await communicator.send_json_to({"type": "chat.message", "message": "Hola"})
        reply = await communicator.receive_json_from(timeout=5)
        assert reply["message"] == "Hola"
        await communicator.disconnect()
