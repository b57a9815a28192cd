"""Admin for the access-audit log: read-only for everyone."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from orders.models import AccessAudit


@admin.register(AccessAudit)
class AccessAuditAdmin(admin.ModelAdmin):
    # Evidence of who saw which personal data: nobody edits or deletes it, superusers included.
    list_display = [
        "at",
        "actor",
        "channel",
        "action",
        "customer_external_id",
        "order_external_id",
        "request_id",
        "detail",
    ]
    list_filter = ["channel", "action", "at"]
    date_hierarchy = "at"
    search_fields = ["actor", "=customer_external_id", "=order_external_id", "=request_id"]
    search_help_text = "Actor (agent:alice, client:…, admin:bob), customer id or order id."
    list_per_page = 100
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
