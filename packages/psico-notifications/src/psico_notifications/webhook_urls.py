"""Mount with ``path("api/webhooks/", include("psico_notifications.webhook_urls"))``."""

from rest_framework.routers import SimpleRouter

from . import webhook_views

app_name = "psico_notifications_webhooks"

router = SimpleRouter(use_regex_path=False)
router.register("endpoints", webhook_views.WebhookEndpointViewSet, basename="webhook-endpoint")
router.register("deliveries", webhook_views.WebhookDeliveryViewSet, basename="webhook-delivery")

urlpatterns = router.urls
