"""Admin for shipments: inline on the order, and a page per parcel with its items and history.

Django admin nests no inlines, so the order's page edits each parcel's own fields and links
to the parcel's page, where its items and tracking history are inlines. Every save ends with
services.order_refresh: fulfillment and delivery status and the stored API document follow.
"""

from __future__ import annotations

from django.contrib import admin
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join

from orders import selectors, services
from orders.admin import forms
from orders.models import Order, Shipment, ShipmentEvent, ShipmentItem

HTTPS_URLS = {models.URLField: {"assume_scheme": "https"}}


def _refresh(order_pk: int) -> None:
    order = Order.objects.select_related("customer", "shipping_address", "billing_address").get(
        pk=order_pk
    )
    services.order_refresh(order=order)


def latest_status_text(shipment: Shipment) -> str:
    if not shipment.latest_detailed_type:
        return "no events yet"
    return f"{shipment.latest_detailed_type} at {shipment.latest_status_at:%Y-%m-%d %H:%M} UTC"


class ShipmentInline(admin.TabularInline):
    model = Shipment
    form = forms.ShipmentForm
    formfield_overrides = HTTPS_URLS
    extra = 0
    show_change_link = True
    fields = [
        "external_id",
        "carrier",
        "tracking_number",
        "tracking_url",
        "service_level",
        "shipping_date",
        "delivery_date_start",
        "delivery_date_end",
        "contents",
    ]
    readonly_fields = ["contents"]
    verbose_name_plural = "shipments (items and tracking history: open a parcel's page)"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Shipment]:
        return super().get_queryset(request).prefetch_related("lines__item")

    @admin.display(description="items and latest status")
    def contents(self, shipment: Shipment) -> str:
        if shipment.pk is None:
            return "—"
        lines = format_html_join(
            ", ", "{} × {}", ((line.quantity, line.item) for line in shipment.lines.all())
        )
        return format_html("{}<br>{}", lines or "no items listed", latest_status_text(shipment))


class ShipmentItemInline(admin.TabularInline):
    model = ShipmentItem
    form = forms.ShipmentItemForm
    formset = forms.ShipmentItemFormSet
    extra = 0
    fields = ["item", "quantity"]
    verbose_name_plural = "items in this parcel (never more than ordered, over all parcels)"


class ShipmentEventInline(admin.TabularInline):
    model = ShipmentEvent
    form = forms.ShipmentEventForm
    extra = 0
    fields = ["status_date_time", "detailed_type", "description", "location"]
    verbose_name_plural = "tracking history (the latest event is the parcel's status)"


@admin.register(Shipment)
class ShipmentAdmin(admin.ModelAdmin):
    form = forms.ShipmentForm
    formfield_overrides = HTTPS_URLS
    inlines = [ShipmentItemInline, ShipmentEventInline]
    list_display = [
        "tracking_number",
        "carrier",
        "order_display",
        "customer_id_display",
        "shipping_date",
        "latest_status",
    ]
    list_select_related = ["order", "order__customer"]
    list_filter = ["latest_detailed_type", "carrier"]
    search_fields = ["=external_id", "=order__external_id", "order__order_number"]
    search_help_text = (
        "Tracking number (any case, spaces ignored), shipment id, order id or number."
    )
    list_per_page = 100
    show_full_result_count = False
    raw_id_fields = ["order"]
    readonly_fields = ["latest_status", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["order", ("external_id", "position")]}),
        (
            "Carrier",
            {"fields": [("carrier", "service_level"), "tracking_number", "tracking_url"]},
        ),
        (
            "Dates",
            {"fields": ["shipping_date", ("delivery_date_start", "delivery_date_end")]},
        ),
        ("Status", {"fields": ["latest_status", ("created_at", "updated_at")]}),
    ]

    def get_readonly_fields(self, request: HttpRequest, obj: Shipment | None = None) -> list[str]:
        # A parcel never moves to another order: its items are that order's.
        fields = list(super().get_readonly_fields(request, obj))
        return ["order", *fields] if obj else fields

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if search_term.strip():
            results = results | selectors.shipments_by_tracking_number(queryset, search_term)
        return results, may_have_duplicates

    @admin.display(description="order", ordering="order__order_number")
    def order_display(self, shipment: Shipment) -> str:
        return str(shipment.order)

    @admin.display(description="customer id", ordering="order__customer__external_id")
    def customer_id_display(self, shipment: Shipment) -> str:
        return shipment.order.customer.external_id

    @admin.display(description="latest status", ordering="latest_detailed_type")
    def latest_status(self, shipment: Shipment) -> str:
        return latest_status_text(shipment)

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        _refresh(form.instance.order_id)

    def delete_model(self, request: HttpRequest, obj: Shipment) -> None:
        order_pk = obj.order_id
        super().delete_model(request, obj)
        _refresh(order_pk)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Shipment]) -> None:
        order_pks = set(queryset.values_list("order_id", flat=True))
        super().delete_queryset(request, queryset)
        for order_pk in sorted(order_pks):
            _refresh(order_pk)
