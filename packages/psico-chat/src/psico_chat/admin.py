from django.contrib import admin
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from psico_core.audit import AuditAction, audit_event

from .models import ChatMessage


@admin.register(ChatMessage)
class ChatMessageAdmin(admin.ModelAdmin):
    """Read-only: a chat is a record of what the participants said, so nobody rewrites it here.
    Deleting stays possible (e.g. to honour an erasure request)."""

    list_display = ["id", "appointment", "sender", "excerpt", "created_at", "read_at"]
    list_filter = ["created_at", ("read_at", admin.EmptyFieldListFilter)]
    list_select_related = [
        "appointment__patient",
        "appointment__psychologist__professional_profile",
        "sender",
    ]
    # Not the content: it is sealed, and SQL cannot search inside a token.
    search_fields = ["sender__email", "sender__first_name", "sender__last_name"]
    date_hierarchy = "created_at"
    raw_id_fields = ["appointment", "sender"]
    readonly_fields = ["appointment", "sender", "content", "created_at", "read_at"]
    ordering = ["-id"]

    @admin.display(description=_("message"))
    def excerpt(self, obj: ChatMessage) -> str:
        return Truncator(obj.content).chars(80)

    def has_add_permission(self, request) -> bool:
        return False

    # Reading people's chats is an administrator reading others' data: on the audit log.
    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        if response.status_code == 200:
            audit_event(
                action=AuditAction.ADMIN_CHAT_READ, object_type="chat_message", request=request
            )
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        message = self.get_object(request, object_id)
        if response.status_code == 200 and message is not None:
            audit_event(
                action=AuditAction.ADMIN_CHAT_READ,
                object_type="chat_message",
                object_id=message.pk,
                subject=message.appointment.patient,
                request=request,
            )
        return response

    def has_change_permission(self, request, obj=None) -> bool:
        return False
