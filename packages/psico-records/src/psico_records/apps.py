from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PsicoRecordsConfig(AppConfig):
    name = "psico_records"
    label = "psico_records"
    verbose_name = _("Clinical records and audit log")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in, user_login_failed
        from psico_core.audit import audit_event_sent

        from . import checks  # noqa: F401  (registers the settings check)
        from .receivers import on_audit_event, on_login, on_login_failed

        audit_event_sent.connect(on_audit_event, dispatch_uid="psico_records.audit_event")
        user_logged_in.connect(on_login, dispatch_uid="psico_records.login")
        user_login_failed.connect(on_login_failed, dispatch_uid="psico_records.login_failed")
