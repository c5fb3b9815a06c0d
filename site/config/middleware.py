"""WhiteNoise, also serving the reference web client's build (clients/web/dist) at /app/."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings as django_settings
from whitenoise.middleware import WhiteNoiseMiddleware as BaseWhiteNoiseMiddleware

WEB_CLIENT_PREFIX = "app/"


class WhiteNoiseMiddleware(BaseWhiteNoiseMiddleware):
    """Static files as WhiteNoise serves them, and ``WEB_CLIENT_ROOT`` at ``/app/`` when it
    holds a build (an ``index.html``); without one, ``/app/`` is an ordinary 404."""

    def __init__(self, get_response=None, settings=django_settings) -> None:
        super().__init__(get_response, settings=settings)
        root = getattr(settings, "WEB_CLIENT_ROOT", None)
        self.web_client = root is not None and Path(root, "index.html").is_file()
        if root is not None and self.web_client:
            self.add_files(str(root), prefix=WEB_CLIENT_PREFIX)

    def immutable_file_test(self, path: str, url: str) -> bool:
        # Vite names every asset after a hash of its content; index.html itself is revalidated.
        if url.startswith(f"/{WEB_CLIENT_PREFIX}assets/"):
            return True
        return super().immutable_file_test(path, url)
