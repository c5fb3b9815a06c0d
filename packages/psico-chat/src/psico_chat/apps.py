from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PsicoChatConfig(AppConfig):
    name = "psico_chat"
    label = "psico_chat"
    verbose_name = _("Chat")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the settings check)
