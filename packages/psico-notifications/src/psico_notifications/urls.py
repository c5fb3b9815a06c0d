"""Mount with ``path("api/notifications/", include("psico_notifications.urls"))``."""

from django.urls import path

from . import views

app_name = "psico_notifications"

urlpatterns = [
    path("preferences/", views.NotificationPreferenceView.as_view(), name="preferences"),
]
