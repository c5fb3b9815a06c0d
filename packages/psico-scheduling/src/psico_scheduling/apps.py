from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PsicoSchedulingConfig(AppConfig):
    name = "psico_scheduling"
    label = "psico_scheduling"
    verbose_name = _("Scheduling")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from psico_accounts.personal_data import personal_data_export

        from . import checks  # noqa: F401  (registers the settings check)
        from .personal_data import appointments_export
        from .receivers import on_appointment_event_offer_waitlist
        from .signals import appointment_event_recorded

        appointment_event_recorded.connect(
            on_appointment_event_offer_waitlist, dispatch_uid="psico_scheduling.waitlist"
        )
        # A user's appointments in their data export (accounts cannot import scheduling).
        personal_data_export.connect(
            appointments_export, dispatch_uid="psico_scheduling.personal_data"
        )
