from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from . import selectors, services
from .serializers import NotificationPreferenceSerializer, NotificationPreferenceUpdateSerializer

NOTIFICATIONS_TAG = "notifications"


@extend_schema_view(
    get=extend_schema(summary="Your notification preferences"),
    patch=extend_schema(
        summary="Change your notification preferences",
        request=NotificationPreferenceUpdateSerializer,
        responses=NotificationPreferenceSerializer,
    ),
)
@extend_schema(tags=[NOTIFICATIONS_TAG])
class NotificationPreferenceView(generics.GenericAPIView):
    """Which emails you get: about bookings (new, confirmed, cancelled, moved) and reminders.
    Everything is on until you turn it off; security emails (password reset) are always sent."""

    permission_classes = [IsAuthenticated]
    serializer_class = NotificationPreferenceSerializer

    def get(self, request):
        preference = selectors.notification_preference_of(user=request.user)
        return Response(NotificationPreferenceSerializer(preference).data)

    def patch(self, request):
        serializer = NotificationPreferenceUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        preference = services.notification_preference_update(
            user=request.user, **serializer.validated_data
        )
        return Response(NotificationPreferenceSerializer(preference).data)
