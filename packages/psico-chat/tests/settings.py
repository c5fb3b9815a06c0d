import os

from psico_accounts.testing.settings import *  # noqa: F403
from psico_accounts.testing.settings import INSTALLED_APPS

SECRET_KEY = "psico-chat-tests"
ROOT_URLCONF = "tests.urls"
INSTALLED_APPS = [*INSTALLED_APPS, "channels", "psico_scheduling", "psico_chat"]
ASGI_APPLICATION = "tests.asgi.application"
ALLOWED_HOSTS = ["localhost", "127.0.0.1", "testserver"]
if os.environ.get("REDIS_URL"):
    from psico_chat.redis_layer import redis_channel_layer

    CHANNEL_LAYERS = {"default": redis_channel_layer(os.environ["REDIS_URL"])}
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
