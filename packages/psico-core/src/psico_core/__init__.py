"""The framework under the Psico apps: app settings, strict input, the API's error answers,
role permissions, the OpenAPI schema, and test and ASGI helpers."""

__version__ = "0.1.0"
