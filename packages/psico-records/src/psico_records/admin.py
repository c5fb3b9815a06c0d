from django.contrib import admin

from .models import AuditEvent

# Clinical notes are deliberately not registered: their content is for their author only, and
# the admin is for clinic administrators.


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the audit log is append-only, here as everywhere."""

    list_display = ["occurred_at", "action", "actor", "object_type", "object_id", "subject", "ip"]
    list_filter = ["action", "object_type", "occurred_at"]
    list_select_related = ["actor", "subject"]
    search_fields = ["object_id", "actor__email", "subject__email"]
    date_hierarchy = "occurred_at"
    readonly_fields = [
        "occurred_at",
        "action",
        "actor",
        "object_type",
        "object_id",
        "subject",
        "ip",
        "user_agent",
    ]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
