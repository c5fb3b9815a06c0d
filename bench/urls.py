"""The packages mounted where the host site mounts them, for benchmarks through HTTP."""

from django.urls import include, path

urlpatterns = [
    path("api/", include("psico_accounts.urls")),
    path("api/appointments/", include("psico_scheduling.urls")),
    path("api/chat/", include("psico_chat.urls")),
]
