"""Admin for orders: items, status events and shipments inline, list filters, export and
cancel."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import admin, messages
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.html import format_html

from orders import selectors, services
from orders.admin import forms
from orders.admin.customers import PhoneSearchMixin
from orders.admin.shipments import ShipmentInline
from orders.documents.codec import dumps
from orders.models import (
    AccessAudit,
    CancellationStatus,
    CancelReason,
    Order,
    OrderItem,
    Shipment,
    StatusEvent,
)
from orders.rules import actors, money

CHANGE_ADDRESS_PERMISSION = "orders.change_shipping_address"


def _request_id(request: HttpRequest) -> str:
    return getattr(request, "request_id", "")


def _actor(request: HttpRequest) -> str:
    return actors.admin(request.user.get_username())


# Scheme-less image URLs are read as https (Django 6's default, without the warning).
HTTPS_URLS = {models.URLField: {"assume_scheme": "https"}}


class OrderItemInline(admin.StackedInline):
    # Nine fields, a URL and a description do not fit one table row at 1280 px (the row was
    # 2,400 px wide): each item is a small stacked form, related fields side by side.
    model = OrderItem
    form = forms.OrderItemForm
    formset = forms.OrderItemFormSet
    formfield_overrides = HTTPS_URLS
    extra = 0
    fields = [
        ("name", "sku"),
        ("quantity", "price", "currency"),
        "image_url",
        "description",
        ("external_id", "position"),
    ]
    classes = ["ercdash-items"]


class StatusEventInline(admin.TabularInline):
    # Four columns fit once the date and time stay on one line each (ercdash-admin.css).
    model = StatusEvent
    form = forms.StatusEventForm
    extra = 0
    fields = ["status_date_time", "generic_type", "detailed_type", "description"]
    classes = ["ercdash-events"]
    verbose_name = "status event"
    verbose_name_plural = "status timeline (the latest event is the order's current status)"


class CancellationFilter(admin.SimpleListFilter):
    title = "cancellation"
    parameter_name = "cancellation"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list:
        return [
            ("canceled", "Canceled"),
            ("requested", "Requested, not confirmed (UNKNOWN)"),
            ("none", "Not canceled"),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "canceled":
            return queryset.filter(cancellation_status=CancellationStatus.CANCELED)
        if self.value() == "requested":
            return queryset.filter(cancellation_status=CancellationStatus.UNKNOWN)
        if self.value() == "none":
            return queryset.filter(cancellation_status="")
        return queryset


class LatestStatusFilter(admin.ChoicesFieldListFilter):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.title = "latest status"


def _amount(value: Decimal | None, currency: str) -> str:
    if value is None:
        return "—"
    return f"{format(value.normalize(), 'f')} {currency}".strip()


@admin.register(Order)
class OrderAdmin(PhoneSearchMixin, admin.ModelAdmin):
    form = forms.OrderForm
    formfield_overrides = HTTPS_URLS
    action_form = forms.CancelActionForm
    inlines = [OrderItemInline, StatusEventInline, ShipmentInline]
    phone_lookup = "customer__phone_number"
    list_display = [
        "order_number",
        "external_id",
        "customer_id_display",
        "brand",
        "purchase_datetime",
        "delivery_type",
        "latest_status",
        "final_total",
        "cancellation_status",
    ]
    list_display_links = ["order_number", "external_id"]
    # One join for the customer column: a page of 100 rows is a fixed number of queries.
    list_select_related = ["customer"]
    list_filter = [
        "delivery_type",
        ("latest_generic_type", LatestStatusFilter),
        "fulfillment_status",
        CancellationFilter,
        "brand",
    ]
    date_hierarchy = "purchase_datetime"
    search_fields = ["order_number", "=external_id", "=customer__external_id", "=customer__email"]
    search_help_text = (
        "Order number, order id, customer id, email, phone (any format) or tracking number."
    )
    list_per_page = 100
    # COUNT(*) over every order on each page load is the slow part of big changelists.
    show_full_result_count = False
    autocomplete_fields = ["customer"]
    actions = ["export_jsonl", "cancel_orders"]
    readonly_fields = [
        "payment_card",
        "price_check",
        "latest_status",
        "fulfillment_status",
        "delivery_status",
        "items_quantity",
        "top_item_image",
        "cancellation_status",
        "canceled_at",
        "canceled_by",
        "cancel_reason",
        "cancel_staff_note",
        "cancel_restock",
        "cancel_notify_customer",
        "cancel_refund_method",
        "created_at",
        "updated_at",
    ]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    ("external_id", "order_number"),
                    "customer",
                    ("brand", "purchase_datetime"),
                    "delivery_type",
                    ("shipping_address", "billing_address"),
                    ("items_number", "items_quantity"),
                ]
            },
        ),
        (
            "Price summary",
            {
                "fields": [
                    "currency",
                    ("original_total_amount", "discounts_amount"),
                    ("shipping_amount", "taxes_amount"),
                    "final_total_amount",
                    "price_check",
                    "total_refunded_amount",
                ]
            },
        ),
        (
            "Payment",
            {
                "fields": [
                    "payment_card",
                    ("card_brand", "card_number"),
                    "card_brand_image_url",
                    "is_refunded",
                    "payment_status",
                ]
            },
        ),
        (
            "Status",
            {
                "fields": [
                    "latest_status",
                    "status",
                    ("fulfillment_status", "delivery_status"),
                    "cancellation_status",
                    ("canceled_at", "canceled_by"),
                    "cancel_reason",
                    "cancel_staff_note",
                    ("cancel_restock", "cancel_notify_customer", "cancel_refund_method"),
                ],
                "description": "Restock, notification and refund method are recorded as the "
                "canceller asked: ercdash itself restocks nothing, sends no email and moves "
                "no money.",
            },
        ),
        ("Custom fields", {"fields": ["custom_fields"]}),
        (
            "Images and bookkeeping",
            {
                "classes": ["collapse"],
                "fields": [
                    "highlighted_item_image_url",
                    "top_item_image",
                    ("created_at", "updated_at"),
                ],
            },
        ),
    ]

    class Media:
        # The inlines' layout at 1280 px (OrderItemInline, StatusEventInline).
        css = {"all": ["css/ercdash-admin.css"]}

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if search_term.strip():
            # "Where is parcel 1Z…?": the order of a tracking number, one subquery on its index.
            parcels = selectors.shipments_by_tracking_number(Shipment.objects.all(), search_term)
            results = results | queryset.filter(pk__in=parcels.values("order_id"))
        return results, may_have_duplicates

    def get_readonly_fields(self, request: HttpRequest, obj: Order | None = None) -> list[str]:
        # Order ids are API keys and an order never moves to another customer.
        fields = list(super().get_readonly_fields(request, obj))
        if obj is None:
            return fields
        fields = ["external_id", "customer", *fields]
        if not request.user.has_perm(CHANGE_ADDRESS_PERMISSION):
            # Sending a saved order elsewhere is its own permission, as in the console.
            fields.append("shipping_address")
        return fields

    def save_model(self, request: HttpRequest, obj: Order, form, change: bool) -> None:
        if not (change and form.shipping_address_changed):
            super().save_model(request, obj, form, change)
            return
        # The rest of the form is saved as usual; the new shipping address goes through the
        # service the API and the console use (state rule, address rules, audit, timeline).
        address = obj.shipping_address
        obj.shipping_address_id = form.initial.get("shipping_address")
        super().save_model(request, obj, form, change)
        try:
            services.order_change_shipping_address(
                order=obj,
                address=address,
                actor=_actor(request),
                channel=AccessAudit.Channel.ADMIN,
                user=request.user,
                request_id=_request_id(request),
            )
        except (services.ShippingAddressNotChangeable, services.ShippingAddressInvalid):
            # The order moved on between the form and the save (a parcel left meanwhile).
            obj.refresh_from_db(fields=["shipping_address"])
            self.message_user(request, forms.shipping_address_refusal(obj), messages.ERROR)
        else:
            self.message_user(
                request,
                f"Order {obj.order_number} will be shipped to {address}; the previous address "
                "is kept in the access audit.",
                messages.SUCCESS,
            )

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        # Items and events just changed: the API serves derived values from cache fields.
        services.order_refresh(order=form.instance)

    # Columns and read-only fields.

    @admin.display(description="customer id", ordering="customer__external_id")
    def customer_id_display(self, order: Order) -> str:
        return order.customer.external_id

    @admin.display(description="latest status", ordering="latest_generic_type")
    def latest_status(self, order: Order) -> str:
        if not order.latest_generic_type:
            return "—"
        detailed = order.latest_detailed_type
        text = order.latest_generic_type + (f" / {detailed}" if detailed else "")
        if order.latest_status_at:
            text += f" at {order.latest_status_at:%Y-%m-%d %H:%M} UTC"
        return text

    @admin.display(description="final total", ordering="final_total_amount")
    def final_total(self, order: Order) -> str:
        return _amount(order.final_total_amount, order.currency)

    @admin.display(description="card")
    def payment_card(self, order: Order) -> str:
        card = order.masked_card_number
        return f"{order.card_brand} {card}".strip() if card else "—"

    @admin.display(description="check")
    def price_check(self, order: Order) -> str:
        values = order.amounts()
        expected = money.money_total(values)
        final = values["final_total_amount"]
        if expected is None or final is None:
            return "—"
        currency = order.currency
        arithmetic = (
            f"{_amount(values['original_total_amount'], currency)}"
            f" − {_amount(values['discounts_amount'] or Decimal(0), currency)}"
            f" + {_amount(values['shipping_amount'] or Decimal(0), currency)}"
            f" + {_amount(values['taxes_amount'] or Decimal(0), currency)}"
            f" = {_amount(expected, currency)}"
        )
        if expected == final:
            return f"✔ {arithmetic}"
        return format_html(
            "<strong>⚠ Mismatch:</strong> {} but the final total is {}",
            arithmetic,
            _amount(final, currency),
        )

    @admin.display(description="items quantity (sum of items)")
    def items_quantity(self, order: Order) -> str:
        quantity = order.derived_items_quantity
        return "—" if quantity is None else str(quantity)

    @admin.display(description="image of the priciest item")
    def top_item_image(self, order: Order) -> str:
        return order.derived_top_item_image_url or "—"

    # Actions.

    def has_cancel_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("orders.cancel_order")

    @admin.action(description="Export selected orders as JSON Lines", permissions=["view"])
    def export_jsonl(self, request: HttpRequest, queryset: QuerySet[Order]) -> HttpResponse:
        count = queryset.count()
        services.audit_record(
            actor=_actor(request),
            channel=AccessAudit.Channel.ADMIN,
            action=AccessAudit.Action.EXPORT_ORDERS,
            user=request.user,
            request_id=_request_id(request),
            detail=f"{count} order{'s' if count != 1 else ''}",
        )
        # The export_orders document format, sorted by order id like the command's output.
        lines = (
            dumps(document) + b"\n"
            for document in services.orders_export(orders=queryset.order_by())
        )
        response = StreamingHttpResponse(lines, content_type="application/x-ndjson")
        stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
        response["Content-Disposition"] = f'attachment; filename="orders-{stamp}.jsonl"'
        response["Cache-Control"] = "no-store"
        return response

    @admin.action(description="Cancel selected orders", permissions=["cancel"])
    def cancel_orders(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        reason = request.POST.get("cancel_reason", "")
        if reason not in CancelReason.values:
            self.message_user(
                request,
                "Nothing canceled: pick a cancel reason next to the action first.",
                messages.ERROR,
            )
            return
        canceled, skipped = [], []
        for order in queryset.select_related("customer").order_by("pk"):
            try:
                services.order_cancel(
                    order=order,
                    reason=reason,
                    actor=_actor(request),
                    channel=AccessAudit.Channel.ADMIN,
                    user=request.user,
                    request_id=_request_id(request),
                )
            except services.OrderNotCancellable:
                skipped.append(order.order_number)
            else:
                canceled.append(order.order_number)
        if canceled:
            self.message_user(
                request,
                f"Canceled {len(canceled)} order{'s' if len(canceled) != 1 else ''} "
                f"({CancelReason(reason).label}): " + ", ".join(canceled),
                messages.SUCCESS,
            )
        if skipped:
            self.message_user(
                request,
                f"Skipped {len(skipped)} order{'s' if len(skipped) != 1 else ''} already "
                "canceled or already shipped: " + ", ".join(skipped),
                messages.WARNING,
            )
