"""API shapes of clinical notes and the audit log."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from psico_core.audit import AuditAction
from psico_core.payloads import DatabaseIdRelatedField, InputSerializer
from psico_scheduling.models import Appointment
from rest_framework import serializers

from .models import AuditEvent, ClinicalNote, NoteRevision

NOTE_HELP = _("The note's text; only its author ever reads it.")


class NoteMetadataSerializer(serializers.ModelSerializer):
    """That a note exists, and when: what clinic admins see. Never the content."""

    revision_count = serializers.IntegerField(
        read_only=True, help_text=_("How many earlier versions the note has.")
    )

    class Meta:
        model = ClinicalNote
        fields = ["id", "appointment", "author", "created_at", "updated_at", "revision_count"]
        read_only_fields = fields


class NoteSerializer(NoteMetadataSerializer):
    """A note as its author reads it."""

    content = serializers.CharField(read_only=True, help_text=NOTE_HELP)

    class Meta(NoteMetadataSerializer.Meta):
        fields = [*NoteMetadataSerializer.Meta.fields, "content"]
        read_only_fields = fields


# The documented answer of the list and of one note: the view answers its author with
# NoteSerializer and a clinic administrator with NoteMetadataSerializer.
class NoteAsReadSerializer(NoteMetadataSerializer):
    """A note as its reader gets it: its author with ``content``, a clinic administrator
    without it."""

    content = serializers.CharField(
        required=False, help_text=_("The note's text: present for its author only.")
    )

    class Meta(NoteMetadataSerializer.Meta):
        fields = [*NoteMetadataSerializer.Meta.fields, "content"]
        read_only_fields = NoteMetadataSerializer.Meta.fields


@extend_schema_field(OpenApiTypes.INT)
class OwnAppointmentField(DatabaseIdRelatedField):
    """One of the signed-in professional's appointments; someone else's does not exist."""

    def get_queryset(self):
        request = self.context["request"]
        return Appointment.objects.filter(psychologist_id=request.user.pk).select_related("patient")


class NoteCreateSerializer(InputSerializer):
    appointment = OwnAppointmentField(help_text=_("One of your appointments."))
    # The service checks the length (and what cannot be stored): one rule, one message.
    content = serializers.CharField(trim_whitespace=False, help_text=NOTE_HELP)


class NoteUpdateSerializer(InputSerializer):
    content = serializers.CharField(trim_whitespace=False, help_text=NOTE_HELP)


class NoteRevisionSerializer(serializers.ModelSerializer):
    class Meta:
        model = NoteRevision
        fields = ["id", "content", "written_at", "replaced_at"]
        read_only_fields = fields


class AuditEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "occurred_at",
            "action",
            "actor",
            "object_type",
            "object_id",
            "subject",
            "ip",
            "user_agent",
        ]
        read_only_fields = fields


class AccessorSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.SerializerMethodField()
    role = serializers.CharField(source="user_type", read_only=True)

    def get_name(self, user) -> str:
        return user.get_full_name() or user.get_username()


class AccessLogEntrySerializer(serializers.ModelSerializer):
    """Who did what with your data, and when (never what they read)."""

    actor = AccessorSerializer(read_only=True)
    action = serializers.ChoiceField(choices=AuditAction.choices, read_only=True)

    class Meta:
        model = AuditEvent
        fields = ["id", "occurred_at", "action", "actor", "object_type", "object_id"]
        read_only_fields = fields
