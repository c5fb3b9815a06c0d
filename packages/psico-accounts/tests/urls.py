from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("api/", include("psico_accounts.urls")),
    path("admin/", admin.site.urls),
]
