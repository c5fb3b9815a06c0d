"""The site's production settings, with a bare JSON view beside the site's URLs for bench/http.py.

Only ``ROOT_URLCONF`` changes: the same process, middleware, authentication classes, database
and cache serve both ``GET /api/users/me/`` and the bare view, so their ratio is the cost of
what the API does for that request.
"""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.http_urls"
