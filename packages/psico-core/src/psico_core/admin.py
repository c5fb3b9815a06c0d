"""Admin pieces shared by the Psico apps."""

from __future__ import annotations

from django.contrib import admin


class ReadOnlyModelAdmin(admin.ModelAdmin):
    """An admin page that shows rows and never adds, changes or deletes one: for records that
    only the application writes (an outbox, a delivery log)."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
