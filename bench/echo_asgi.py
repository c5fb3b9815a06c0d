"""The baseline for bench/chat.py: a bare consumer on the same channel layer, nothing else.

No authentication, no database, no validation: a frame received is broadcast to the room's
group through the channel layer the host configures (Redis in the benchmark), and every socket
in the group gets it. Served by uvicorn exactly like the site (same settings module, so the
same ``CHANNEL_LAYERS``), on the same path shape, so the difference between the two is what
Psico's chat does per message: auth, participant checks, validation, rate limiting, storage.

    DJANGO_SETTINGS_MODULE=config.settings python -m uvicorn bench.echo_asgi:application
"""

from __future__ import annotations

import os

import django
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.routing import ProtocolTypeRouter, URLRouter
from django.urls import path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()


class EchoConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        self.group_name = f"bench_echo_{self.scope['url_route']['kwargs']['room']}"
        await self.channel_layer.group_add(self.group_name, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        await self.channel_layer.group_discard(self.group_name, self.channel_name)

    async def receive_json(self, content, **kwargs) -> None:
        await self.channel_layer.group_send(
            self.group_name, {"type": "chat.message", "message": content.get("message", "")}
        )

    async def chat_message(self, event) -> None:
        await self.send_json({"type": "chat.message", "message": event["message"]})


application = ProtocolTypeRouter(
    {"websocket": URLRouter([path("ws/chat/<int:room>/", EchoConsumer.as_asgi())])}
)
