"""Mount with ``path("api/appointments/", include("psico_scheduling.urls"))``."""

import psico_core.converters  # noqa: F401  (registers the viewsets' "psico_id" converter)
from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

app_name = "psico_scheduling"

router = SimpleRouter(use_regex_path=False)
router.register("availability", views.AvailabilityViewSet, basename="availability")
router.register("blocked-dates", views.BlockedDateViewSet, basename="blocked-date")
router.register("appointments", views.AppointmentViewSet, basename="appointment")
router.register("series", views.AppointmentSeriesViewSet, basename="appointment-series")
router.register("waitlist", views.WaitlistViewSet, basename="waitlist")

urlpatterns = [
    path("available-slots/", views.AvailableSlotsView.as_view(), name="available-slots"),
    path(
        "search-psychologists/",
        views.SearchPsychologistsView.as_view(),
        name="search-psychologists",
    ),
    path("summary/", views.AppointmentSummaryView.as_view(), name="appointment-summary"),
    *router.urls,
]
