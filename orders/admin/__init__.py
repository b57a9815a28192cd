"""Django admin: order data, API clients, agents and the access-audit log.

One module per concern. Importing this package (admin autodiscovery) imports each of them, which
registers their ModelAdmins; they are re-exported for callers that name them.
"""

from __future__ import annotations

from django.contrib import admin

from orders.admin.agents import AgentFilter, UserAdmin
from orders.admin.audit import AccessAuditAdmin
from orders.admin.clients import AccessTokenAdmin, ApiClientAdmin
from orders.admin.customers import AddressAdmin, AddressInline, CustomerAdmin, PhoneSearchMixin
from orders.admin.orders import (
    CancellationFilter,
    LatestStatusFilter,
    OrderAdmin,
    OrderItemInline,
    StatusEventInline,
)
from orders.admin.shipments import ShipmentAdmin, ShipmentInline
from orders.admin.shopify import ShopifyStoreAdmin, WebhookDeliveryAdmin
from orders.admin.signins import AccessAttemptAdmin

admin.site.site_header = "ercdash administration"
admin.site.site_title = "ercdash admin"
admin.site.index_title = "Orders, API clients and agents"

__all__ = [
    "AccessAttemptAdmin",
    "AccessAuditAdmin",
    "AccessTokenAdmin",
    "AddressAdmin",
    "AddressInline",
    "AgentFilter",
    "ApiClientAdmin",
    "CancellationFilter",
    "CustomerAdmin",
    "LatestStatusFilter",
    "OrderAdmin",
    "OrderItemInline",
    "PhoneSearchMixin",
    "ShipmentAdmin",
    "ShipmentInline",
    "ShopifyStoreAdmin",
    "StatusEventInline",
    "UserAdmin",
    "WebhookDeliveryAdmin",
]
