"""Private calendar feeds. Mount with
``path("api/calendar/", include("psico_notifications.calendar_urls"))``.

The feed's log redaction (:func:`psico_notifications.calendar_logging.redact_calendar_secret`)
looks for ``/calendar/`` in paths: keep that word at the end of the prefix.
"""

from django.urls import path

from . import views

app_name = "psico_notifications_calendar"

urlpatterns = [
    path("feed/", views.CalendarFeedView.as_view(), name="feed"),
    path("feed/rotate/", views.CalendarFeedRotateView.as_view(), name="feed-rotate"),
    # Any segment reaches the view, which answers every wrong secret with the same 404 and
    # logs it redacted; a narrower pattern would leave near-misses to Django's 404 log.
    path("<str:secret>.ics", views.CalendarFeedIcsView.as_view(), name="feed-ics"),
]
