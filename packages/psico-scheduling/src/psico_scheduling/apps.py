from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PsicoSchedulingConfig(AppConfig):
    name = "psico_scheduling"
    label = "psico_scheduling"
    verbose_name = _("Scheduling")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the settings check)
        from .receivers import on_appointment_event_offer_waitlist
        from .signals import appointment_event_recorded

        appointment_event_recorded.connect(
            on_appointment_event_offer_waitlist, dispatch_uid="psico_scheduling.waitlist"
        )
