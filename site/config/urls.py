from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from .views import WebClientRedirect, asyncapi, healthz

urlpatterns = [
    # The sockets' AsyncAPI document (the REST API's is api/schema/).
    path("api/asyncapi.yaml", asyncapi, name="asyncapi"),
    # Before accounts: users/me/access-log/ sits beside its users/ routes.
    path("api/", include("psico_records.urls")),
    path("api/", include("psico_accounts.urls")),
    path("api/appointments/", include("psico_scheduling.urls")),
    path("api/chat/", include("psico_chat.urls")),
    path("api/notifications/", include("psico_notifications.urls")),
    path("api/calendar/", include("psico_notifications.calendar_urls")),
    path("api/webhooks/", include("psico_notifications.webhook_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    path("admin/", admin.site.urls),
    # Probes are configured by hand on hosting platforms: answer with or without the slash
    # rather than redirect.
    path("healthz", healthz, name="healthz"),
    path("healthz/", healthz),
    # The reference web client is served at /app/ by WhiteNoise (config.middleware).
    path("app", WebClientRedirect.as_view()),
]

handler404 = "config.views.not_found"

# Uploaded pictures in development; in production the platform's volume or object storage
# serves MEDIA_URL.
urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
