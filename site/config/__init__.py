"""Configuration package of the Psico host site (settings, URLs, ASGI/WSGI entry points)."""
