from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PsicoChatConfig(AppConfig):
    name = "psico_chat"
    label = "psico_chat"
    verbose_name = _("Chat")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from psico_accounts.personal_data import personal_data_export, user_erased
        from psico_scheduling.signals import appointment_changed, appointment_event_recorded

        from . import checks  # noqa: F401  (registers the settings check)
        from .live import appointment_changed_push, waitlist_offered_push
        from .personal_data import messages_erase, messages_export

        # appointment.updated frames on ws/notifications/ (scheduling cannot import the chat).
        appointment_changed.connect(appointment_changed_push, dispatch_uid="psico_chat.live")
        # waitlist.offered frames, from the outbox (an offer is made by the relay).
        appointment_event_recorded.connect(
            waitlist_offered_push, dispatch_uid="psico_chat.live.waitlist"
        )
        # A user's messages in their data export; their text replaced when they are erased.
        personal_data_export.connect(messages_export, dispatch_uid="psico_chat.personal_data")
        user_erased.connect(messages_erase, dispatch_uid="psico_chat.personal_data")
