"""Admin for the Shopify connector: stores (write-only secret) and webhook deliveries."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django_tasks_db.models import DBTaskResult

from orders.models import ShopifyStore, WebhookDelivery
from orders.services import shopify

# The task queue's own admin (django-tasks-db) lists task rows that hold only store ids; what
# operators need is each delivery's outcome and reason, below.
if admin.site.is_registered(DBTaskResult):
    admin.site.unregister(DBTaskResult)


class ShopifyStoreForm(forms.ModelForm):
    # Write-only: a password input that is never filled in with the stored value.
    new_secret = forms.CharField(
        label="Webhook signing secret",
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=(
            "The secret Shopify signs webhooks with (Settings → Notifications → Webhooks, or "
            "the app's client secret). Never shown again. On an existing store, leave empty "
            "to keep the current secret; a new one starts a rotation: the old secret stays "
            "accepted until you end the rotation (action on the list)."
        ),
    )

    class Meta:
        model = ShopifyStore
        fields = ["domain", "brand"]

    def clean_domain(self) -> str:
        domain = shopify.normalize_domain(self.cleaned_data["domain"])
        if not shopify.valid_domain(domain):
            raise forms.ValidationError("Enter the shop's domain, e.g. casa-lisboa.myshopify.com.")
        return domain

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if self.instance.pk is None and not cleaned.get("new_secret"):
            self.add_error("new_secret", "A new store needs its webhook signing secret.")
        return cleaned


@admin.register(ShopifyStore)
class ShopifyStoreAdmin(admin.ModelAdmin):
    form = ShopifyStoreForm
    list_display = ["domain", "brand", "rotation", "rotated_at", "created_at"]
    search_fields = ["domain", "brand"]
    actions = ["end_rotation"]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if obj is None:
            return ["domain", "brand", "new_secret"]
        return ["domain", "brand", "new_secret", "rotation", "rotated_at", "created_at"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["rotation", "rotated_at", "created_at"] if obj else []

    @admin.display(description="Old secret still accepted", boolean=True)
    def rotation(self, store: ShopifyStore) -> bool:
        return store.rotating

    def save_model(self, request: HttpRequest, obj: ShopifyStore, form: Any, change: bool) -> None:
        secret = form.cleaned_data.get("new_secret", "")
        if not change:
            obj.secret = secret
            obj.save()
            return
        obj.save()
        if secret:
            shopify.store_secret_rotate(store=obj, secret=secret)
            self.message_user(
                request,
                "New secret saved. The old one is still accepted until you end the rotation.",
                messages.SUCCESS,
            )

    @admin.action(
        description="End the secret rotation (stop accepting the old secret)",
        permissions=["change"],
    )
    def end_rotation(self, request: HttpRequest, queryset: QuerySet[ShopifyStore]) -> None:
        stores = list(queryset.exclude(previous_secret=""))
        for store in stores:
            shopify.store_rotation_end(store=store)
        self.message_user(request, f"Rotation ended for {len(stores)} store(s).", messages.SUCCESS)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    # Evidence of what Shopify sent: read-only; the payload (personal data) for superusers only.
    list_display = ["received_at", "store", "topic", "webhook_id", "outcome", "reason"]
    list_filter = ["outcome", "topic", "store"]
    list_select_related = ["store"]
    search_fields = ["=webhook_id", "=order_ref"]
    search_help_text = "Webhook id or Shopify order id."
    date_hierarchy = "received_at"
    list_per_page = 100
    show_full_result_count = False
    actions = ["reprocess"]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        fields = [
            "store",
            "topic",
            "webhook_id",
            "order_ref",
            "received_at",
            "outcome",
            "reason",
            "claimed_at",
            "applied_at",
        ]
        return [*fields, "payload_json"] if request.user.is_superuser else fields

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return self.get_fields(request, obj)

    @admin.display(description="Payload")
    def payload_json(self, delivery: WebhookDelivery) -> str:
        return format_html(
            '<pre class="webhook-payload">{}</pre>',
            json.dumps(delivery.payload, indent=2, ensure_ascii=False),
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_reprocess_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("orders.change_webhookdelivery")

    @admin.action(description="Reprocess the selected deliveries", permissions=["reprocess"])
    def reprocess(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        count = shopify.deliveries_reprocess(deliveries=queryset)
        self.message_user(
            request, f"{count} deliveries queued to be applied again.", messages.SUCCESS
        )
