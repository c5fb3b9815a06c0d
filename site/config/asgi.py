"""ASGI entry point: HTTP through Django, WebSocket chat through Channels.

Serve with ``uvicorn config.asgi:application`` from the ``site`` folder.
"""

import logging
import os
import warnings

from psico_core.asgi import get_asgi_application, websocket_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

# WhiteNoise serves static files with a synchronous file iterator, which Django reads in a
# worker thread under ASGI and warns about on every process. For the admin's and the API docs'
# hashed, cached-forever assets that cost is accepted; nothing else here streams.
warnings.filterwarnings(
    "ignore", message="StreamingHttpResponse must consume synchronous iterators", category=Warning
)

# Set up Django (apps, models) before anything imports consumers or models.
django_asgi_app = get_asgi_application()

from psico_chat.logging import RedactTokenFilter  # noqa: E402
from psico_chat.routing import chat_websocket_application  # noqa: E402
from psico_notifications.calendar_logging import RedactCalendarSecretFilter  # noqa: E402

# Mobile clients put their token in the WebSocket URL, and a calendar feed's secret is in its
# path: uvicorn logs both. The documented --log-config file filters them; this covers a
# server started without that file too.
for logger_name in ("uvicorn.error", "uvicorn.access"):
    logging.getLogger(logger_name).addFilter(RedactTokenFilter())
    logging.getLogger(logger_name).addFilter(RedactCalendarSecretFilter())

# The socket is refused at the handshake to pages outside ALLOWED_HOSTS and
# CORS_ALLOWED_ORIGINS (psico_core.asgi.browser_origin_validator).
application = websocket_application(django_asgi_app, chat_websocket_application())
