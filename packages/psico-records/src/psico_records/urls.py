"""Mount with ``path("api/", include("psico_records.urls"))``, before psico-accounts' include
(its ``users/`` routes would not take ``users/me/access-log/``, but order keeps it obvious)."""

import psico_core.converters  # noqa: F401  (registers the viewsets' "psico_id" converter)
from django.urls import include, path
from rest_framework.routers import SimpleRouter

from . import views

app_name = "psico_records"

router = SimpleRouter(use_regex_path=False)
router.register("records/notes", views.ClinicalNoteViewSet, basename="note")
router.register("audit/events", views.AuditEventViewSet, basename="audit-event")

urlpatterns = [
    path("users/me/access-log/", views.AccessLogView.as_view(), name="access-log"),
    path("", include(router.urls)),
]
