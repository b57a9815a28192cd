from django.urls import re_path

from orders.api import schema
from orders.api import views as api

ID = r"(?P<{}>[^/]+)"
CUSTOMER = rf"customers/{ID.format('customer_id')}"
ORDER = rf"{CUSTOMER}/orders/{ID.format('order_id')}"

# ERC paths verbatim; "/?$" serves the trailing-slash variant without a redirect.
urlpatterns = [
    re_path(rf"^{ORDER}/?$", api.OrderDetailApi.as_view(), name="order-detail"),
    re_path(rf"^{ORDER}/items/?$", api.OrderItemsApi.as_view(), name="order-items"),
    re_path(
        rf"^{ORDER}/cancel-preview/?$",
        api.OrderCancelPreviewApi.as_view(),
        name="order-cancel-preview",
    ),
    re_path(rf"^{ORDER}/cancel/?$", api.OrderCancelApi.as_view(), name="order-cancel"),
    re_path(
        rf"^{ORDER}/change-shipping-address/?$",
        api.OrderChangeShippingAddressApi.as_view(),
        name="order-change-shipping-address",
    ),
    re_path(rf"^{CUSTOMER}/orders/?$", api.CustomerOrdersApi.as_view(), name="customer-orders"),
    re_path(
        rf"^{CUSTOMER}/shipments/?$", api.CustomerShipmentsApi.as_view(), name="customer-shipments"
    ),
    re_path(
        rf"^{CUSTOMER}/most-recent-order/?$",
        api.MostRecentOrderApi.as_view(),
        name="customer-most-recent-order",
    ),
    re_path(rf"^{CUSTOMER}/?$", api.CustomerDetailApi.as_view(), name="customer-detail"),
    re_path(
        r"^external-customers/?$", api.ExternalCustomersApi.as_view(), name="external-customers"
    ),
    re_path(r"^orders/?$", api.OrderListApi.as_view(), name="order-list"),
    # Public documentation: no personal data in it, so no token needed.
    re_path(r"^openapi\.json$", schema.openapi_json, name="openapi-json"),
    re_path(r"^docs/?$", schema.docs_page, name="api-docs"),
    re_path(r"^.*$", api.unknown_path),
]
