from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from psico_accounts.serializers import FieldsBuiltOnceModelSerializer
from psico_core.payloads import DatabaseIdField, InputSerializer
from psico_core.query import QueryParametersSerializer
from psico_scheduling.serializers import AppointmentSerializer
from rest_framework import serializers

from .models import ChatMessage
from .selectors import chat_display_name, chat_is_open


class ChatUserSerializer(serializers.Serializer):
    """A participant as the other side sees it: an id and a display name, nothing private."""

    id = serializers.IntegerField(read_only=True)
    name = serializers.SerializerMethodField()

    def get_name(self, user) -> str:
        return chat_display_name(user)


class ChatMessageSerializer(FieldsBuiltOnceModelSerializer):
    """A stored message; the socket sends the same fields in its ``chat.message`` frames."""

    # Fields built once (FieldsBuiltOnceModelSerializer): every stored message is serialised
    # for its event, in the chat's hot path.

    appointment = serializers.IntegerField(source="appointment_id", read_only=True)
    sender = ChatUserSerializer(read_only=True)
    message = serializers.CharField(source="content", read_only=True)

    class Meta:
        model = ChatMessage
        fields = ["id", "appointment", "sender", "message", "created_at", "read_at", "client_id"]
        read_only_fields = fields
        extra_kwargs = {
            "client_id": {
                "help_text": _(
                    "The client_id its sender gave when sending it (null if none), so a client "
                    "can match its pending message."
                )
            }
        }


class ClientIdField(serializers.UUIDField):
    """Documented as a UUID; the service checks its spelling, the same rule as the socket's."""

    def to_internal_value(self, data):
        return data


class ChatMessageCreateSerializer(InputSerializer):
    # Emptiness and length are the service's rules (shared with the socket), not repeated here.
    message = serializers.CharField(
        allow_blank=True,
        trim_whitespace=False,
        help_text=_("The text to send; at most PSICO_CHAT['MAX_MESSAGE_LENGTH'] characters."),
    )
    client_id = ClientIdField(
        required=False,
        allow_null=True,
        help_text=_(
            "A UUID of your choice, in canonical form, that makes the send idempotent: sending "
            "again with the same client_id (after a dropped connection, say) stores nothing "
            "and answers 200 with the message stored the first time. Unique per sender: one "
            "already used in another chat is refused."
        ),
    )


class ChatMessagePageSerializer(serializers.Serializer):
    results = ChatMessageSerializer(many=True, source="messages")
    has_more = serializers.BooleanField(
        help_text=_("Whether more messages lie further in the direction of the cursor.")
    )


class ChatMessageCursorSerializer(QueryParametersSerializer):
    """Query parameters of the message list."""

    after = DatabaseIdField(
        required=False,
        min_value=0,
        help_text=_("Only messages with a greater id, oldest first (catching up)."),
    )
    before = DatabaseIdField(
        required=False,
        min_value=1,
        help_text=_("Only messages with a smaller id: the newest of those (older history)."),
    )
    limit = DatabaseIdField(
        required=False,
        min_value=1,
        help_text=_("Page size, capped at PSICO_CHAT['HISTORY_PAGE_SIZE']."),
    )


class ChatTicketSerializer(serializers.Serializer):
    """A fresh socket ticket: open ``ws/chat/<id>/?ticket=<ticket>`` within ``expires_in``."""

    ticket = serializers.CharField(read_only=True, help_text=_("Single-use socket ticket."))
    expires_in = serializers.IntegerField(
        read_only=True, help_text=_("Seconds until the ticket expires.")
    )


class ChatParticipantSerializer(ChatUserSerializer):
    """The other side of a conversation: id, display name and picture, nothing private."""

    profile_picture = serializers.ImageField(read_only=True, allow_null=True)


class ChatConversationAppointmentSerializer(AppointmentSerializer):
    """When the appointment is, as the appointment list shows it, and its status."""

    class Meta(AppointmentSerializer.Meta):
        fields = [
            "id",
            "appointment_date",
            "start_time",
            "end_time",
            "start",
            "end",
            "time_zone",
            "status",
        ]
        read_only_fields = fields


class ChatConversationSerializer(serializers.Serializer):
    """One conversation of your inbox: an appointment's chat, as you see it."""

    # "You" is context["user"].
    appointment = ChatConversationAppointmentSerializer(source="*", read_only=True)
    other_participant = serializers.SerializerMethodField()
    last_message = ChatMessageSerializer(read_only=True)
    unread = serializers.IntegerField(
        read_only=True,
        help_text=_("Messages the other participant sent that you have not read yet."),
    )
    is_open = serializers.SerializerMethodField(
        help_text=_(
            "Whether the chat takes new messages now (it closes when the appointment is "
            "cancelled, or some days after the session); a closed chat stays readable."
        )
    )

    @extend_schema_field(ChatParticipantSerializer)
    def get_other_participant(self, appointment) -> dict:
        user = self.context["user"]
        other = (
            appointment.psychologist if appointment.patient_id == user.pk else appointment.patient
        )
        return ChatParticipantSerializer(other, context=self.context).data

    def get_is_open(self, appointment) -> bool:
        return chat_is_open(appointment=appointment)
