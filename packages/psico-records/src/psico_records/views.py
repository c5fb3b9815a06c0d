from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from psico_core.audit import AuditAction, audit_event
from psico_core.permissions import IsClinicAdmin
from psico_core.schema import SERVICE_REFUSAL
from rest_framework import generics, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response

from . import selectors, services
from .filters import AuditEventFilter, NoteFilter
from .serializers import (
    AccessLogEntrySerializer,
    AuditEventSerializer,
    NoteAsReadSerializer,
    NoteCreateSerializer,
    NoteMetadataSerializer,
    NoteRevisionSerializer,
    NoteSerializer,
    NoteUpdateSerializer,
)

NOTES_TAG = "records"
AUDIT_TAG = "audit"


class IsProfessionalOrClinicAdmin(BasePermission):
    message = _("Only professionals and clinic administrators can do this.")

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(
            user and user.is_authenticated and (user.is_professional or user.is_clinic_admin)
        )


def _reads_content(request) -> bool:
    """Professionals read their own notes; clinic admins only learn that notes exist."""
    return bool(request.user.is_professional and not request.user.is_clinic_admin)


@extend_schema_view(
    list=extend_schema(
        summary="Your clinical notes (professionals); every note's existence (clinic admins)",
        description=(
            "A professional gets the notes they wrote, with their content. A clinic "
            "administrator gets every note's id, appointment, author and dates, never its "
            "content. Patients are refused."
        ),
        responses={200: NoteAsReadSerializer(many=True)},
    ),
    retrieve=extend_schema(
        summary="One clinical note",
        description=(
            "Its author gets the content; a clinic administrator gets the same fields as in "
            "the list, without content. Anyone else's note is not found (404)."
        ),
        responses={200: NoteAsReadSerializer},
    ),
    create=extend_schema(
        summary="Write a note on one of your appointments (professionals)",
        request=NoteCreateSerializer,
        responses={201: NoteSerializer, 400: SERVICE_REFUSAL},
    ),
    update=extend_schema(
        summary="Replace a note's text (its author); the earlier text is kept",
        request=NoteUpdateSerializer,
        responses={200: NoteSerializer, 400: SERVICE_REFUSAL},
    ),
    partial_update=extend_schema(
        summary="Replace a note's text (its author); the earlier text is kept",
        request=NoteUpdateSerializer,
        responses={200: NoteSerializer, 400: SERVICE_REFUSAL},
    ),
)
@extend_schema(tags=[NOTES_TAG])
class ClinicalNoteViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Clinical notes: never deleted (no DELETE), readable by their author only."""

    serializer_class = NoteSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = NoteFilter
    lookup_value_converter = "psico_id"
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def get_permissions(self):
        return [IsAuthenticated(), IsProfessionalOrClinicAdmin()]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return selectors.notes_metadata().none()
        if self.action in ("list", "retrieve") and not _reads_content(self.request):
            return selectors.notes_metadata()
        return selectors.notes_of_author(author=self.request.user)

    def get_serializer_class(self):
        if self.action in ("list", "retrieve") and not _reads_content(self.request):
            return NoteMetadataSerializer
        return NoteSerializer

    def _require_professional(self) -> None:
        if not _reads_content(self.request):
            raise PermissionDenied(_("Only professionals write clinical notes."))

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        audit_event(action=AuditAction.NOTE_LIST, object_type="note", request=request)
        return response

    def retrieve(self, request, *args, **kwargs):
        note = self.get_object()
        audit_event(
            action=AuditAction.NOTE_READ,
            object_type="note",
            object_id=note.pk,
            subject=note.appointment.patient if _reads_content(request) else None,
            request=request,
        )
        return Response(self.get_serializer(note).data)

    def _note_response(self, note, status_code=status.HTTP_200_OK) -> Response:
        note = selectors.notes_of_author(author=self.request.user).get(pk=note.pk)
        return Response(NoteSerializer(note).data, status=status_code)

    def create(self, request, *args, **kwargs):
        self._require_professional()
        serializer = NoteCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        note = services.note_create(author=request.user, **serializer.validated_data)
        return self._note_response(note, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        self._require_professional()
        note = self.get_object()
        serializer = NoteUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        note = services.note_update(note=note, author=request.user, **serializer.validated_data)
        return self._note_response(note)

    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, **kwargs)

    @extend_schema(
        summary="The earlier texts of one of your notes, newest first (its author)",
        responses={200: NoteRevisionSerializer(many=True)},
        filters=False,
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def revisions(self, request, *args, **kwargs):
        self._require_professional()
        note = self.get_object()
        audit_event(
            action=AuditAction.NOTE_HISTORY_READ,
            object_type="note",
            object_id=note.pk,
            subject=note.appointment.patient,
            request=request,
        )
        page = self.paginate_queryset(selectors.note_revisions(note=note))
        return self.get_paginated_response(NoteRevisionSerializer(page, many=True).data)


@extend_schema_view(
    list=extend_schema(
        summary="The audit log (clinic administrators)",
        description=(
            "Every login, password change and reset, token revocation, chat history read, "
            "administrator's read of another user's data and read or write of a clinical note: "
            "who, what (object type and id, never content), when and from which client. "
            "Newest first; nobody can change or delete an entry."
        ),
    )
)
@extend_schema(tags=[AUDIT_TAG])
class AuditEventViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    permission_classes = [IsAuthenticated, IsClinicAdmin]
    serializer_class = AuditEventSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = AuditEventFilter

    def get_queryset(self):
        return selectors.audit_events()


@extend_schema(
    tags=[AUDIT_TAG],
    summary="Who accessed your data, and when",
    description=(
        "Reads of your account, your appointments, your chats and the clinical notes on your "
        "appointments by anyone but you: who, what kind of object, when. Never what was read."
    ),
)
class AccessLogView(generics.ListAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = AccessLogEntrySerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return selectors.audit_events().none()
        return selectors.access_log(user=self.request.user)
