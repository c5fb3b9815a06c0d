from django.urls import include, path

urlpatterns = [
    path("api/", include("psico_accounts.urls")),
]
