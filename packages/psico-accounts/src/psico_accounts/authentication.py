"""``Authorization: Token <key>`` with the per-device tokens of :class:`~.models.DeviceToken`.

Name :class:`DeviceTokenAuthentication` in ``REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"]``.
It is DRF's token scheme (same header, same 401 answers), so the OpenAPI schema documents it
as DRF's (``tokenAuth``), which it is a subclass of; ``request.auth`` is the device's token.
"""

from __future__ import annotations

from typing import ClassVar

from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

__all__ = ["DeviceTokenAuthentication"]


class DeviceTokenAuthentication(authentication.TokenAuthentication):
    """DRF's ``TokenAuthentication`` over hashed, expiring, per-device tokens.

    ``select_related`` names what the token's query joins; a subclass may join more (e.g.
    ``"user__patient_profile"``) so that a view reads it without a query of its own.
    """

    select_related: ClassVar[tuple[str, ...]] = ("user",)

    def authenticate_credentials(self, key):
        from .services import token_authenticate

        token = token_authenticate(key=key, select_related=self.select_related)
        if token is None:
            # Unknown, revoked and expired keys and inactive users: one answer, as DRF's.
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        return token.user, token
