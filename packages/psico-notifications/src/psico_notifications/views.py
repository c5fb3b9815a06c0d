from __future__ import annotations

import hashlib

from django.http import HttpResponse, HttpResponseServerError
from django.urls import reverse
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.log import log_response
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from psico_core.throttling import RemoteAddressRateThrottle
from rest_framework import generics
from rest_framework.exceptions import NotFound
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from . import calendar_feed, selectors, services
from .calendar_logging import redact_calendar_secret
from .conf import notifications_settings
from .serializers import (
    CalendarFeedSerializer,
    NotificationPreferenceSerializer,
    NotificationPreferenceUpdateSerializer,
)

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


# --- Calendar feeds -----------------------------------------------------------------------

CALENDAR_TAG = "calendar"


def _calendar_feed_url(request, feed) -> str:
    path = reverse("psico_notifications_calendar:feed-ics", kwargs={"secret": feed.secret})
    base = notifications_settings.CALENDAR_FEED_BASE_URL
    return base.rstrip("/") + path if base else request.build_absolute_uri(path)


@extend_schema(tags=[CALENDAR_TAG])
class CalendarFeedView(generics.GenericAPIView):
    """The address of your private calendar feed (created the first time you ask): your
    appointments as an `.ics` document that calendar apps subscribe to. Patients see their
    sessions with the professional's name, professionals their sessions with each patient's
    first name; a clinic admin takes part in no session, so their feed is empty."""

    permission_classes = [IsAuthenticated]
    serializer_class = CalendarFeedSerializer

    @extend_schema(summary="Your private calendar feed's address")
    def get(self, request):
        feed = calendar_feed.calendar_feed_of(user=request.user)
        return Response(CalendarFeedSerializer({"url": _calendar_feed_url(request, feed)}).data)


@extend_schema(tags=[CALENDAR_TAG])
class CalendarFeedRotateView(generics.GenericAPIView):
    """Gives your calendar feed a new address: the old one stops working at once (404), so
    every calendar app subscribed to it must be given the new one."""

    permission_classes = [IsAuthenticated]
    serializer_class = CalendarFeedSerializer

    @extend_schema(summary="Give your calendar feed a new address", request=None)
    def post(self, request):
        feed = calendar_feed.calendar_feed_rotate(user=request.user)
        return Response(CalendarFeedSerializer({"url": _calendar_feed_url(request, feed)}).data)


class CalendarFeedRateThrottle(RemoteAddressRateThrottle):
    """Fetches per feed, not per address: calendar services (Google, Apple, Microsoft) fetch
    the feeds of many people from a few addresses. The rate is
    ``DEFAULT_THROTTLE_RATES["calendar_feed"]`` when the host sets it, else
    ``PSICO_NOTIFICATIONS["CALENDAR_FEED_THROTTLE_RATE"]``. A secret is counted by its digest,
    so the cache never holds it."""

    scope = "calendar_feed"

    def default_rate(self) -> str | None:
        return notifications_settings.CALENDAR_FEED_THROTTLE_RATE

    def get_cache_key(self, request, view) -> str:
        secret = str(view.kwargs.get("secret", ""))
        digest = hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": digest}


class _JSONOnlyNegotiation(DefaultContentNegotiation):
    """The feed itself is written by the view; only its errors are rendered, always as JSON,
    whatever a calendar app puts in Accept (never a 406)."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


@extend_schema(tags=[CALENDAR_TAG], auth=[])
class CalendarFeedIcsView(APIView):
    """Your appointments as an iCalendar document, for calendar apps, which cannot sign in:
    the secret in the address is the key. No sign-in; an unknown or rotated secret is a 404,
    whatever the reason. Strong `ETag`, `If-None-Match` → 304, `Cache-Control: private`."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [CalendarFeedRateThrottle]
    renderer_classes = [JSONRenderer]
    content_negotiation_class = _JSONOnlyNegotiation

    @extend_schema(
        summary="A private calendar feed (iCalendar)",
        operation_id="calendar_feed_ics",
        parameters=[
            OpenApiParameter(
                "secret",
                str,
                OpenApiParameter.PATH,
                description="The feed's secret, from `GET /api/calendar/feed/`.",
            ),
            # If-None-Match is HTTP's conditional request, described above and in the ETag
            # header, not a parameter of this API (a fuzzer's "*" is rightly a 304).
            OpenApiParameter(
                "ETag",
                str,
                OpenApiParameter.HEADER,
                response=[200, 304],
                description=(
                    "The document's strong ETag: send it back in `If-None-Match` to get a 304 "
                    "while the feed has not changed."
                ),
            ),
            OpenApiParameter(
                "Cache-Control",
                str,
                OpenApiParameter.HEADER,
                response=[200, 304],
                description="`no-cache, private`: personal data, revalidated on each fetch.",
            ),
        ],
        responses={
            (200, "text/calendar"): OpenApiResponse(
                OpenApiTypes.STR,
                description=(
                    "The appointments you take part in, from "
                    "`CALENDAR_FEED_DAYS_BACK` days ago to `CALENDAR_FEED_DAYS_AHEAD` days ahead, "
                    "as an iCalendar (RFC 5545) document; cancelled ones with STATUS:CANCELLED."
                ),
            ),
            304: OpenApiResponse(
                description="Not modified: the copy whose ETag you sent is current."
            ),
        },
    )
    def get(self, request, secret: str):
        owner = calendar_feed.calendar_feed_owner(secret=secret)
        if owner is None:
            raise NotFound()
        body = calendar_feed.calendar_feed_ics(user=owner)
        etag = calendar_feed.calendar_etag(body)
        response = HttpResponse(body, content_type=calendar_feed.CALENDAR_CONTENT_TYPE)
        response["ETag"] = etag
        patch_cache_control(response, private=True, no_cache=True)
        response["X-Robots-Tag"] = "noindex"
        return get_conditional_response(request, etag=etag, response=response)

    # Django logs every 4xx and 5xx with the request's path, which here holds the secret:
    # this view logs them itself, with the secret redacted, and marks them logged.

    def handle_exception(self, exc):
        try:
            return super().handle_exception(exc)
        except Exception as uncaught:
            response = HttpResponseServerError()
            self._log(response, exception=uncaught)
            return response

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if response.status_code >= 400:
            self._log(response)
        return response

    def _log(self, response, exception=None) -> None:
        request = self.request
        log_response(
            "%s: %s",
            response.reason_phrase,
            redact_calendar_secret(request.path),
            response=response,
            request=request,
            exception=exception,
        )
