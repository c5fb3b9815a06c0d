from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PsicoNotificationsConfig(AppConfig):
    name = "psico_notifications"
    label = "psico_notifications"
    verbose_name = _("Notifications")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from psico_scheduling.signals import appointment_event_recorded

        from . import checks  # noqa: F401  (registers the settings check)
        from .receivers import on_appointment_event, on_appointment_event_webhooks

        appointment_event_recorded.connect(
            on_appointment_event, dispatch_uid="psico_notifications.appointment_emails"
        )
        appointment_event_recorded.connect(
            on_appointment_event_webhooks, dispatch_uid="psico_notifications.webhooks"
        )
