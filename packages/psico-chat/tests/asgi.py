"""The full ASGI stack a host would deploy, for tests and the live two-server test."""

import logging
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

from psico_core.asgi import get_asgi_application, websocket_application  # noqa: E402

# Django must be set up before the consumers (and their models) are imported.
django_asgi_app = get_asgi_application()

from psico_chat.logging import RedactTokenFilter  # noqa: E402
from psico_chat.routing import chat_websocket_application  # noqa: E402

for logger_name in ("uvicorn.error", "uvicorn.access"):
    logging.getLogger(logger_name).addFilter(RedactTokenFilter())

application = websocket_application(django_asgi_app, chat_websocket_application())
