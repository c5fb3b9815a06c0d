"""Thin API views: parse input, call a service or a selector, serialize the result."""

from __future__ import annotations

from typing import cast
from urllib.parse import parse_qs, urlsplit

from django.contrib.auth import logout as session_logout
from django.contrib.auth import update_session_auth_hash
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from psico_core.audit import AuditAction, audit_event
from psico_core.parsers import JSONParser, MultiPartParser
from psico_core.permissions import IsClinicAdmin, IsProfessional
from psico_core.query import OrderingFilter, SearchFilter
from psico_core.schema import SERVICE_REFUSAL, AutoSchema
from rest_framework import generics, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from . import selectors, services
from .authentication import DeviceTokenAuthentication
from .filters import ProfessionalDirectoryFilter, UserAdminFilter
from .models import DeviceToken, User, UserType
from .serializers import (
    AuthTokenSerializer,
    DetailSerializer,
    DeviceSessionSerializer,
    EmailVerifySerializer,
    ErasureSerializer,
    ExportDownloadQuerySerializer,
    LoginSerializer,
    PasswordChangedSerializer,
    PasswordChangeSerializer,
    PasswordResetConfirmSerializer,
    PasswordResetSerializer,
    ProfessionalProfileSerializer,
    ProfessionalProfileUpdateSerializer,
    ProfessionalPublicSerializer,
    ProfilePictureFormSerializer,
    RegisterSerializer,
    SpecializationSerializer,
    TOTPConfirmSerializer,
    TOTPSetupSerializer,
    UserAdminCreateSerializer,
    UserAdminUpdateSerializer,
    UserReadSerializer,
    UserUpdateSerializer,
)
from .throttling import (
    EmailVerificationRateThrottle,
    LoginRateThrottle,
    PasswordResetRateThrottle,
    RegisterRateThrottle,
)

ACCOUNTS_TAG = "accounts"
PROFESSIONALS_TAG = "professionals"

PASSWORD_RESET_SENT = _(
    "If an account exists for this email address, we have sent it instructions to choose "
    "a new password."
)


def _auth_payload(*, key: str, user, request) -> dict:
    user = selectors.user_with_profiles(user_id=user.pk)
    return {"token": key, "user": UserReadSerializer(user, context={"request": request}).data}


def _current_token(request) -> DeviceToken | None:
    """The device token the request came with; None for a browser session."""
    return request.auth if isinstance(request.auth, DeviceToken) else None


class AnonymousAPIView(APIView):
    """An endpoint for people who are not signed in.

    No authentication classes: a stale token or a browser session must not turn a sign-in or
    a password reset into a 401 or a CSRF failure.
    """

    authentication_classes: list = []
    permission_classes = [AllowAny]


@extend_schema(
    tags=[ACCOUNTS_TAG],
    summary="Register a patient",
    request=RegisterSerializer,
    responses={201: AuthTokenSerializer},
)
class RegisterView(AnonymousAPIView):
    """Create a patient account and answer with its API token. Professionals and administrators
    are created by the clinic (``/api/users/``); any other ``user_type`` is refused."""

    throttle_classes = [RegisterRateThrottle]

    def post(self, request):
        serializer = RegisterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("user_type", None)
        # Emails will speak the language the person signed up in (Accept-Language, or the
        # language cookie), unless they chose one.
        data.setdefault("language", translation.get_language_from_request(request))
        user = services.patient_register(**data)
        _token, key = services.token_issue(user=user, request=request)
        return Response(
            _auth_payload(key=key, user=user, request=request), status=status.HTTP_201_CREATED
        )


@extend_schema(
    tags=[ACCOUNTS_TAG],
    summary="Log in and get an API token",
    request=LoginSerializer,
    responses={200: AuthTokenSerializer},
)
class LoginView(AnonymousAPIView):
    """Exchange an email and password for the API token. Wrong credentials and inactive accounts
    get the same 400."""

    throttle_classes = [LoginRateThrottle]

    def post(self, request):
        serializer = LoginSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.user_authenticate(request=request, **serializer.validated_data)
        _token, key = services.token_issue(user=user, request=request)
        return Response(_auth_payload(key=key, user=user, request=request))


@extend_schema(
    tags=[ACCOUNTS_TAG],
    summary="Log out this device: revoke the token of the request",
    request=None,
    responses={204: OpenApiResponse(description="This token no longer works; others still do.")},
)
class LogoutView(APIView):
    """Revoke the token the request came with (and end the browser session, if that is how the
    request came); the user's other devices stay signed in."""

    permission_classes = [IsAuthenticated]

    def post(self, request):
        token = _current_token(request)
        if token is not None:
            services.token_revoke(token=token)
        else:
            session_logout(request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(
    tags=[ACCOUNTS_TAG],
    summary="Log out everywhere: revoke every token of yours",
    request=None,
    responses={204: OpenApiResponse(description="None of your tokens works any more.")},
)
class LogoutAllView(APIView):
    """Revoke every API token of the user, this one included (and end this browser session)."""

    permission_classes = [IsAuthenticated]

    def post(self, request):
        services.token_revoke_all(user=request.user)
        if _current_token(request) is None:
            session_logout(request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    list=extend_schema(summary="Your signed-in devices"),
    destroy=extend_schema(
        summary="Sign one of your devices out",
        description=(
            "Revoke the token of one of your devices (an id from the list); another user's "
            "device, or one signed out already, is a 404."
        ),
        responses={204: OpenApiResponse(description="That device's token no longer works.")},
    ),
)
@extend_schema(tags=[ACCOUNTS_TAG])
class DeviceSessionViewSet(
    mixins.ListModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet
):
    """The devices signed in with your account (one per login): when each signed in and was
    last used, its user agent, and which one is making this request. Not paginated."""

    permission_classes = [IsAuthenticated]
    serializer_class = DeviceSessionSerializer
    pagination_class = None
    lookup_value_converter = "psico_id"

    def get_queryset(self):
        return selectors.device_tokens_of(user=cast(User, self.request.user))

    def get_object(self):
        return selectors.device_token_of(
            user=cast(User, self.request.user), token_id=int(self.kwargs["pk"])
        )

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "current_token": _current_token(self.request)}

    def perform_destroy(self, instance):
        services.token_revoke(token=instance)


@extend_schema(
    tags=[ACCOUNTS_TAG],
    summary="Ask for a password reset email",
    description="Always answers 200 with the same body, whether or not the address has an account.",
    request=PasswordResetSerializer,
    responses={200: DetailSerializer},
)
class PasswordResetView(AnonymousAPIView):
    """Email instructions (uid and token, and a link when the site configures one) to reset
    the password."""

    throttle_classes = [PasswordResetRateThrottle]

    def post(self, request):
        serializer = PasswordResetSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.password_reset_request(email=serializer.validated_data["email"])
        return Response({"detail": PASSWORD_RESET_SENT})


@extend_schema(
    tags=[ACCOUNTS_TAG],
    summary="Choose a new password with the emailed uid and token",
    request=PasswordResetConfirmSerializer,
    responses={200: DetailSerializer},
)
class PasswordResetConfirmView(AnonymousAPIView):
    """Set a new password with the uid and token from the email. A token works once."""

    throttle_classes = [PasswordResetRateThrottle]

    def post(self, request):
        serializer = PasswordResetConfirmSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.password_reset_confirm(**serializer.validated_data)
        return Response({"detail": _("Your password has been reset. You can now log in.")})


@extend_schema(
    tags=[ACCOUNTS_TAG],
    summary="Change your password",
    request=PasswordChangeSerializer,
    responses={200: PasswordChangedSerializer},
)
class PasswordChangeView(APIView):
    """Change your password; the API token is replaced by the one in the answer."""

    permission_classes = [IsAuthenticated]

    def post(self, request):
        serializer = PasswordChangeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        key = services.password_change(
            user=request.user,
            current_token=_current_token(request),
            **serializer.validated_data,
        )
        if request.auth is None:
            # Keeps this browser signed in; other sessions end with the old password.
            update_session_auth_hash(request._request, request.user)
        return Response({"detail": _("Your password has been changed."), "token": key})


@extend_schema(
    tags=[ACCOUNTS_TAG],
    summary="Confirm your email address with the emailed uid and token",
    request=EmailVerifySerializer,
    responses={200: DetailSerializer},
)
class EmailVerifyView(AnonymousAPIView):
    """Mark the address verified with the uid and token of the verification email (sent at
    sign-up). A token works once, and not after the address changed."""

    throttle_classes = [EmailVerificationRateThrottle]

    def post(self, request):
        serializer = EmailVerifySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.email_verify(**serializer.validated_data)
        return Response({"detail": _("Your email address is verified.")})


@extend_schema(
    tags=[ACCOUNTS_TAG],
    summary="Send the verification email again",
    request=None,
    responses={200: DetailSerializer, 400: SERVICE_REFUSAL},
)
class EmailVerifyResendView(APIView):
    """Email a new verification link to your address; 400 when it is verified already."""

    permission_classes = [IsAuthenticated]
    throttle_classes = [EmailVerificationRateThrottle]

    def post(self, request):
        services.email_verification_request(user=request.user)
        return Response({"detail": _("We have sent you a new verification email.")})


@extend_schema(
    tags=[ACCOUNTS_TAG],
    summary="Start setting up an authenticator app (clinic administrators)",
    request=None,
    responses={200: TOTPSetupSerializer, 400: SERVICE_REFUSAL},
)
class TOTPSetupView(APIView):
    """A new TOTP secret for your authenticator app, as an ``otpauth://`` URI (show it as a QR
    code) and as text; confirm it with ``auth/totp/confirm/``. Refused once an app is confirmed."""

    permission_classes = [IsAuthenticated, IsClinicAdmin]

    def post(self, request):
        uri = services.totp_setup(user=request.user)
        secret = parse_qs(urlsplit(uri).query)["secret"][0]
        return Response({"provisioning_uri": uri, "secret": secret})


@extend_schema(
    tags=[ACCOUNTS_TAG],
    summary="Confirm your authenticator app with its current code (clinic administrators)",
    request=TOTPConfirmSerializer,
    responses={200: DetailSerializer},
)
class TOTPConfirmView(APIView):
    """From then on, logging in needs the app's current code (``otp``) besides the password."""

    permission_classes = [IsAuthenticated, IsClinicAdmin]

    def post(self, request):
        serializer = TOTPConfirmSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.totp_confirm(user=request.user, **serializer.validated_data)
        return Response({"detail": _("Your authenticator app is set up.")})


@extend_schema(
    tags=[ACCOUNTS_TAG],
    summary="Ask for a copy of your data",
    request=None,
    responses={
        202: OpenApiResponse(
            response=DetailSerializer,
            description="The copy is being prepared; a download link will be emailed.",
        )
    },
)
class ExportView(APIView):
    """A JSON copy of everything the site keeps about you (account, profile, devices,
    appointments, chat messages), gathered in the background; a link to download it once is
    emailed to you and expires after ``EXPORT_LINK_TTL``."""

    permission_classes = [IsAuthenticated]

    def post(self, request):
        download_url = request.build_absolute_uri(reverse("psico_accounts:export-download"))
        services.personal_data_export_request(user=request.user, download_url=download_url)
        return Response(
            {"detail": _("We are preparing a copy of your data and will email you a link.")},
            status=status.HTTP_202_ACCEPTED,
        )


@extend_schema(
    tags=[ACCOUNTS_TAG],
    summary="Download a copy of your data (the emailed link)",
    parameters=[ExportDownloadQuerySerializer],
    responses={
        200: OpenApiResponse(response=OpenApiTypes.OBJECT, description="The data."),
        404: SERVICE_REFUSAL,
    },
)
class ExportDownloadView(AnonymousAPIView):
    """The link is the credential: it works once, until it expires; then 404."""

    def get(self, request):
        query = ExportDownloadQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = services.personal_data_export_download(**query.validated_data)
        return Response(
            data,
            headers={"Content-Disposition": 'attachment; filename="psico-data.json"'},
        )


class TokenWithProfilesAuthentication(DeviceTokenAuthentication):
    """The device token authentication, with the user's profiles joined in the token's query."""

    select_related = ("user__patient_profile", "user__professional_profile")


class BodyOnDeleteAutoSchema(AutoSchema):
    """The site's schema class, documenting the JSON body of a DELETE too (the password that
    confirms an erasure): drf-spectacular documents bodies of POST, PUT and PATCH only."""

    def _get_request_body(self, direction="request"):
        if self.method != "DELETE":
            return super()._get_request_body(direction)
        self.method = "POST"
        try:
            return super()._get_request_body(direction)
        finally:
            self.method = "DELETE"


@extend_schema_view(
    get=extend_schema(tags=[ACCOUNTS_TAG], summary="Your own user", responses=UserReadSerializer),
    patch=extend_schema(
        tags=[ACCOUNTS_TAG],
        summary="Change your own user (multipart for a profile picture)",
        request={
            "application/json": UserUpdateSerializer,
            "multipart/form-data": ProfilePictureFormSerializer,
        },
        responses=UserReadSerializer,
    ),
)
class MeView(generics.GenericAPIView):
    """Your own user. ``user_type``, ``email``, ``email_verified`` and the CI are read-only here."""

    permission_classes = [IsAuthenticated]
    # The strict JSON parser, as REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"] should name it.
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    serializer_class = UserReadSerializer
    schema = BodyOnDeleteAutoSchema()

    def get_authenticators(self):
        # The host's authentication classes, except that a token brings the user's profiles
        # along in its own query: GET then reads the database once (twice for a professional).
        authenticators = super().get_authenticators()
        if getattr(self, "swagger_fake_view", False):
            # The schema documents the host's classes: this one is DRF's token scheme too.
            return authenticators
        return [
            TokenWithProfilesAuthentication()
            if type(authenticator) is DeviceTokenAuthentication
            else authenticator
            for authenticator in authenticators
        ]

    def get_object(self):
        # IsAuthenticated lets only a signed-in user (never AnonymousUser) get here.
        return selectors.user_with_profiles(user_id=cast(User, self.request.user).pk)

    def get(self, request):
        user = selectors.user_profiles_loaded(user=request.user)
        return Response(UserReadSerializer(user, context={"request": request}).data)

    @extend_schema(
        tags=[ACCOUNTS_TAG],
        summary="Erase your account and personal data",
        description=(
            "Anonymises the account for good (names, email, CI, phone, date of birth, picture "
            "and password), signs out every device and replaces the text of your chat "
            "messages; appointments stay, anonymous, in the professionals' records."
        ),
        request={"application/json": ErasureSerializer},
        responses={204: OpenApiResponse(description="Erased; the token no longer works.")},
    )
    def delete(self, request):
        serializer = ErasureSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.user_erase(user=self.get_object(), **serializer.validated_data)
        if request.auth is None:
            session_logout(request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)

    def patch(self, request):
        user = self.get_object()
        serializer = UserUpdateSerializer(user, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        services.user_update(user=user, data=serializer.validated_data)
        user = self.get_object()
        return Response(UserReadSerializer(user, context={"request": request}).data)


@extend_schema_view(
    list=extend_schema(summary="List users (clinic administrators)"),
    retrieve=extend_schema(summary="One user (clinic administrators)"),
    create=extend_schema(
        summary="Create a user of any type (clinic administrators)",
        request=UserAdminCreateSerializer,
        responses={201: UserReadSerializer},
        examples=[
            OpenApiExample(
                "A professional with a profile",
                request_only=True,
                value={
                    "email": "lucia.rojas@psico.bo",
                    "password": "Consulta-2024!",
                    "user_type": UserType.PROFESSIONAL.value,
                    "first_name": "Lucía",
                    "last_name": "Rojas",
                    "ci": "6543210",
                    "professional_profile": {
                        "city": "La Paz",
                        "specializations": [1, 3],
                        "session_duration": 50,
                        "consultation_fee": "250.00",
                        "license_number": "CPB-1234",
                    },
                },
            )
        ],
    ),
    update=extend_schema(
        summary="Replace a user's fields (clinic administrators)",
        request=UserAdminUpdateSerializer,
        responses=UserReadSerializer,
    ),
    partial_update=extend_schema(
        summary="Change a user (clinic administrators)",
        request=UserAdminUpdateSerializer,
        responses=UserReadSerializer,
    ),
    destroy=extend_schema(
        summary="Deactivate a user (clinic administrators)",
        description=(
            "Accounts are deactivated rather than deleted so that appointments and messages "
            "keep their history; the user's token is revoked."
        ),
    ),
)
@extend_schema(tags=[ACCOUNTS_TAG])
class UserAdminViewSet(viewsets.ModelViewSet):
    """Users of every type, for clinic administrators (user type ``admin`` or superusers)."""

    permission_classes = [IsAuthenticated, IsClinicAdmin]
    serializer_class = UserReadSerializer
    filter_backends = [DjangoFilterBackend, SearchFilter, OrderingFilter]
    filterset_class = UserAdminFilter
    search_fields = ["email", "username", "first_name", "last_name", "ci", "phone"]
    ordering_fields = ["id", "email", "last_name", "first_name", "date_joined", "user_type"]
    ordering = ["id"]
    lookup_value_converter = "psico_id"

    def get_queryset(self):
        return selectors.users_with_profiles()

    def _read(self, user, *, status_code=status.HTTP_200_OK) -> Response:
        user = selectors.user_with_profiles(user_id=user.pk)
        return Response(self.get_serializer(user).data, status=status_code)

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        audit_event(action=AuditAction.ADMIN_USER_LIST, object_type="user", request=request)
        return response

    def retrieve(self, request, *args, **kwargs):
        user = self.get_object()
        audit_event(
            action=AuditAction.ADMIN_USER_READ,
            object_type="user",
            object_id=user.pk,
            subject=user,
            request=request,
        )
        return Response(self.get_serializer(user).data)

    def create(self, request, *args, **kwargs):
        serializer = UserAdminCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.setdefault("password", None)
        user = services.user_create(**data)
        return self._read(user, status_code=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        user = self.get_object()
        serializer = UserAdminUpdateSerializer(
            user, data=request.data, partial=kwargs.get("partial", False)
        )
        serializer.is_valid(raise_exception=True)
        services.user_update(user=user, data=serializer.validated_data)
        return self._read(user)

    def perform_destroy(self, instance):
        services.user_deactivate(user=instance)

    @extend_schema(
        summary="Erase a user's personal data on their request (clinic administrators)",
        description=(
            "As DELETE /api/users/me/ does for its owner, without the password: the account "
            "is anonymised and switched off for good; appointments stay, anonymous."
        ),
        request=None,
        responses={204: OpenApiResponse(description="Erased.")},
    )
    @action(detail=True, methods=["post"])
    def erase(self, request, pk=None):
        services.user_erase(user=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    list=extend_schema(summary="The public directory of professionals"),
    retrieve=extend_schema(summary="One professional's public profile"),
)
@extend_schema(tags=[PROFESSIONALS_TAG])
class ProfessionalDirectoryViewSet(viewsets.ReadOnlyModelViewSet):
    """Active professionals with a public profile, with public fields only."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    serializer_class = ProfessionalPublicSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = ProfessionalDirectoryFilter
    lookup_value_converter = "psico_id"

    def get_queryset(self):
        return selectors.professionals_directory()


@extend_schema_view(
    get=extend_schema(
        summary="Your own professional profile", responses=ProfessionalProfileSerializer
    ),
    patch=extend_schema(
        summary="Change your own professional profile",
        request=ProfessionalProfileUpdateSerializer,
        responses=ProfessionalProfileSerializer,
    ),
)
@extend_schema(tags=[PROFESSIONALS_TAG])
class ProfessionalMeView(generics.GenericAPIView):
    """The signed-in professional's own profile."""

    permission_classes = [IsAuthenticated, IsProfessional]
    serializer_class = ProfessionalProfileSerializer

    def get_object(self):
        return selectors.professional_profile_of(user=cast(User, self.request.user))

    def get(self, request):
        return Response(ProfessionalProfileSerializer(self.get_object()).data)

    def patch(self, request):
        profile = self.get_object()
        serializer = ProfessionalProfileUpdateSerializer(profile, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        services.professional_profile_update(profile=profile, data=serializer.validated_data)
        return Response(ProfessionalProfileSerializer(self.get_object()).data)


@extend_schema(
    tags=[PROFESSIONALS_TAG],
    summary="All specializations (not paginated)",
)
class SpecializationListView(generics.ListAPIView):
    """Every specialization, by name."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    serializer_class = SpecializationSerializer
    pagination_class = None

    def get_queryset(self):
        return selectors.specializations_list()
