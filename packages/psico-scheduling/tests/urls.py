from django.urls import include, path

urlpatterns = [
    path("api/", include("psico_accounts.urls")),
    path("api/appointments/", include("psico_scheduling.urls")),
]
