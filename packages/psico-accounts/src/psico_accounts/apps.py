from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PsicoAccountsConfig(AppConfig):
    name = "psico_accounts"
    label = "psico_accounts"
    verbose_name = _("Accounts")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the settings check)
