from django.urls import re_path

from orders import api

ID = r"(?P<{}>[^/]+)"

# ERC paths verbatim; "/?$" serves the trailing-slash variant without a redirect.
urlpatterns = [
    re_path(
        rf"^customers/{ID.format('customer_id')}/orders/{ID.format('order_id')}/?$",
        api.OrderDetailApi.as_view(),
        name="order-detail",
    ),
    re_path(
        rf"^customers/{ID.format('customer_id')}/orders/{ID.format('order_id')}/cancel-preview/?$",
        api.OrderCancelPreviewApi.as_view(),
        name="order-cancel-preview",
    ),
    re_path(
        rf"^customers/{ID.format('customer_id')}/orders/{ID.format('order_id')}/cancel/?$",
        api.OrderCancelApi.as_view(),
        name="order-cancel",
    ),
    re_path(r"^.*$", api.unknown_path),
]
