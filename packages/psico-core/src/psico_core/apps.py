from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PsicoCoreConfig(AppConfig):
    name = "psico_core"
    label = "psico_core"
    verbose_name = _("Psico API framework")

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the REST framework settings check)
