from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("psico_records.urls")),
    path("api/", include("psico_accounts.urls")),
    path("api/appointments/", include("psico_scheduling.urls")),
]
