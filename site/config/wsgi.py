"""WSGI entry point, for ``manage.py runserver`` and WSGI-only hosting (no WebSocket chat)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = get_wsgi_application()
