from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from psico_core.audit import AuditAction, audit_event
from psico_core.schema import SERVICE_REFUSAL
from psico_scheduling.selectors import appointment_for_participant
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.generics import ListAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from .conf import chat_settings
from .selectors import (
    chat_conversations,
    chat_conversations_with_last_message,
    chat_messages_page,
    chat_other_participant,
)
from .serializers import (
    ChatConversationSerializer,
    ChatMessageCreateSerializer,
    ChatMessageCursorSerializer,
    ChatMessagePageSerializer,
    ChatMessageSerializer,
    ChatTicketSerializer,
)
from .services import message_post
from .throttling import ChatMessageRateThrottle, ChatTicketRateThrottle
from .tickets import ticket_issue


class ChatMessageListCreateView(APIView):
    """The messages of one appointment's chat, for its patient and its professional."""

    permission_classes = [IsAuthenticated]

    def get_throttles(self):
        if self.request.method == "POST":
            return [*super().get_throttles(), ChatMessageRateThrottle()]
        return super().get_throttles()

    def get_appointment(self, appointment_id: int):
        # Someone else's appointment and a missing one answer alike: existence is not leaked.
        appointment = appointment_for_participant(
            user=self.request.user, appointment_id=appointment_id
        )
        if appointment is None:
            raise NotFound(_("No chat found for this appointment."))
        return appointment

    @extend_schema(
        operation_id="chat_messages_list",
        summary="List the messages of an appointment's chat",
        description=(
            "Oldest first within a page. Without a cursor: the newest page. `before=<id>`: the "
            "page just older than that message. `after=<id>`: the messages newer than that one, "
            "oldest first (repeat with the last id while `has_more` is true to catch up)."
        ),
        parameters=[ChatMessageCursorSerializer],
        responses={
            200: ChatMessagePageSerializer,
        },
        tags=["chat"],
    )
    def get(self, request, appointment_id: int):
        appointment = self.get_appointment(appointment_id)
        cursor = ChatMessageCursorSerializer(data=request.query_params)
        cursor.is_valid(raise_exception=True)
        page = chat_messages_page(appointment_id=appointment.pk, **cursor.validated_data)
        audit_event(
            action=AuditAction.CHAT_HISTORY_READ,
            object_type="appointment",
            object_id=appointment.pk,
            subject=chat_other_participant(appointment=appointment, user=request.user),
            request=request,
        )
        return Response(ChatMessagePageSerializer(page).data)

    @extend_schema(
        operation_id="chat_messages_create",
        summary="Send a message without a socket",
        description=(
            "Stores the message and delivers it to the chat's open sockets, exactly like a "
            "`chat.message` frame (201). With a `client_id` you already sent in this chat, "
            "nothing is stored or delivered again: the answer is 200 with the message stored "
            "the first time, so resending after a dropped connection never duplicates. A "
            "closed chat (cancelled appointment, or past the period after the session) answers "
            "400."
        ),
        request=ChatMessageCreateSerializer,
        responses={
            201: ChatMessageSerializer,
            200: OpenApiResponse(
                ChatMessageSerializer,
                description="A repeat: the message stored earlier with this `client_id`.",
            ),
            400: SERVICE_REFUSAL,  # also: the chat is closed
        },
        examples=[
            OpenApiExample(
                "A message",
                value={"message": "Buenos días, ¿podemos empezar diez minutos más tarde?"},
                request_only=True,
            ),
            OpenApiExample(
                "An idempotent message",
                value={
                    "message": "Llego en cinco minutos.",
                    "client_id": "0b9f6c2e-3d4a-4f5b-9c8d-7e6f5a4b3c2d",
                },
                request_only=True,
            ),
        ],
        tags=["chat"],
    )
    def post(self, request, appointment_id: int):
        appointment = self.get_appointment(appointment_id)
        payload = ChatMessageCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        stored = message_post(
            appointment=appointment,
            sender=request.user,
            content=payload.validated_data["message"],
            client_id=payload.validated_data.get("client_id"),
        )
        return Response(
            ChatMessageSerializer(stored.message).data,
            status=status.HTTP_201_CREATED if stored.created else status.HTTP_200_OK,
        )


class ChatTicketCreateView(APIView):
    """A single-use ticket for the chat socket, so API tokens never travel in URLs."""

    permission_classes = [IsAuthenticated]

    def get_throttles(self):
        return [*super().get_throttles(), ChatTicketRateThrottle()]

    @extend_schema(
        operation_id="chat_ticket_create",
        summary="Get a single-use ticket for the chat socket",
        description=(
            "Returns a random ticket for `ws/chat/<appointment_id>/?ticket=<ticket>`. It opens "
            'one socket, once, within `expires_in` seconds (`PSICO_CHAT["TICKET_TTL_SECONDS"]`), '
            "for the user who asked for it; only its SHA-256 is stored. Prefer it to "
            "`?token=<key>`, which still works but is deprecated: a long-lived API token in a "
            "URL ends up in server and proxy logs."
        ),
        request=None,
        responses={
            201: ChatTicketSerializer,
        },
        tags=["chat"],
    )
    def post(self, request):
        ticket = ticket_issue(user=request.user)
        payload = {"ticket": ticket, "expires_in": chat_settings.TICKET_TTL_SECONDS}
        return Response(ChatTicketSerializer(payload).data, status=status.HTTP_201_CREATED)


class ChatConversationListView(ListAPIView):
    """Your inbox: the chats of the appointments you take part in, newest first.

    A conversation is an appointment of which you are the patient or the professional and
    whose chat has at least one message (an appointment nobody has written about yet is not a
    conversation; the appointment list has those). Cancelled appointments and finished
    sessions stay in: their chat can no longer take messages (`is_open` is false) but its
    history is still yours to read. Conversations are ordered by their last message, newest
    first (by message id, which grows with time).

    Each one gives the `appointment` (its local date and times, as the appointment list shows
    them, and its status), the `other_participant` (id, display name and profile picture;
    nothing private), the `last_message` (the same fields as the message list) and `unread`:
    how many messages the other participant sent that you have not marked read (the socket's
    `read` frame). Paginated with `?page=`; the page size is the site's.

    Clinic admins take part in no appointment's chat (they may not read its messages either),
    so their inbox is empty.
    """

    permission_classes = [IsAuthenticated]
    serializer_class = ChatConversationSerializer

    def get_queryset(self):
        return chat_conversations(user=self.request.user)

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "user": self.request.user}

    @extend_schema(
        operation_id="chat_conversations_list",
        summary="Your chat inbox",
        tags=["chat"],
    )
    def get(self, request, *args, **kwargs):
        queryset = self.get_queryset()
        page = self.paginate_queryset(queryset)
        # A host without a pagination class gets the whole inbox, still in two queries.
        conversations = chat_conversations_with_last_message(queryset if page is None else page)
        data = self.get_serializer(conversations, many=True).data
        return Response(data) if page is None else self.get_paginated_response(data)
