"""Mount with ``path("api/", include("psico_accounts.urls"))``."""

import psico_core.converters  # noqa: F401  (registers the viewsets' "psico_id" converter)
from django.urls import include, path
from rest_framework.routers import SimpleRouter

from . import views

app_name = "psico_accounts"

router = SimpleRouter(use_regex_path=False)
router.register("users", views.UserAdminViewSet, basename="user")
router.register("professionals", views.ProfessionalDirectoryViewSet, basename="professional")
router.register("auth/sessions", views.DeviceSessionViewSet, basename="session")

urlpatterns = [
    path("auth/register/", views.RegisterView.as_view(), name="register"),
    path("auth/login/", views.LoginView.as_view(), name="login"),
    path("auth/logout/", views.LogoutView.as_view(), name="logout"),
    path("auth/logout-all/", views.LogoutAllView.as_view(), name="logout-all"),
    path("auth/password-reset/", views.PasswordResetView.as_view(), name="password-reset"),
    path(
        "auth/password-reset/confirm/",
        views.PasswordResetConfirmView.as_view(),
        name="password-reset-confirm",
    ),
    path("auth/password-change/", views.PasswordChangeView.as_view(), name="password-change"),
    path("auth/verify-email/", views.EmailVerifyView.as_view(), name="verify-email"),
    path("auth/totp/setup/", views.TOTPSetupView.as_view(), name="totp-setup"),
    path("auth/totp/confirm/", views.TOTPConfirmView.as_view(), name="totp-confirm"),
    path(
        "auth/verify-email/resend/",
        views.EmailVerifyResendView.as_view(),
        name="verify-email-resend",
    ),
    # Fixed paths first: the routers' detail routes only match numeric ids anyway.
    path("users/me/", views.MeView.as_view(), name="me"),
    path("users/me/export/", views.ExportView.as_view(), name="export"),
    path(
        "users/me/export/download/",
        views.ExportDownloadView.as_view(),
        name="export-download",
    ),
    path("professionals/me/", views.ProfessionalMeView.as_view(), name="professional-me"),
    path(
        "professionals/specializations/",
        views.SpecializationListView.as_view(),
        name="specialization-list",
    ),
    path("", include(router.urls)),
]
