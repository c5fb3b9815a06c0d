from django.urls import path

from .views import ChatConversationListView, ChatMessageListCreateView, ChatTicketCreateView

app_name = "psico_chat"

urlpatterns = [
    path(
        "<int:appointment_id>/messages/",
        ChatMessageListCreateView.as_view(),
        name="messages",
    ),
    path("ticket/", ChatTicketCreateView.as_view(), name="ticket"),
    path("conversations/", ChatConversationListView.as_view(), name="conversations"),
]
