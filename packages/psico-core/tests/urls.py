import psico_core.converters  # noqa: F401  (registers the "psico_id" converter)
from django.urls import include, path
from rest_framework.routers import SimpleRouter

from tests import views

router = SimpleRouter(use_regex_path=False)
router.register("groups", views.GroupViewSet, basename="group")

urlpatterns = [
    path("api/body/", views.BodyView.as_view()),
    path("api/service/", views.ServiceView.as_view()),
    path("api/action/", views.ActionView.as_view()),
    path("api/query/", views.QueryView.as_view()),
    path("api/form/", views.FormView.as_view()),
    path("api/ping/", views.PingView.as_view()),
    path("api/", include(router.urls)),
]
