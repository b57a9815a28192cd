"""The values kept in step with an order's rows: derived fields and the stored API document.

Nothing refreshes them behind the caller's back (no save() hooks, no signals): every write
path (import, admin, cancel, …) calls these services after it writes, and a test per write
path checks that the stored document equals a fresh render afterwards.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q, QuerySet

from orders.documents.body import order_body
from orders.documents.codec import dumps
from orders.models import Address, Order

_DERIVED_FIELDS = [
    "derived_items_quantity",
    "derived_top_item_image_url",
    "derived_highlighted_item",
    "latest_generic_type",
    "latest_detailed_type",
    "latest_status_at",
    "latest_status_description",
]


def render_document(order: Order) -> str:
    """The order's ERC body (without _links) as the API serves it."""
    return dumps(order_body(order)).decode()


@transaction.atomic
def order_refresh(*, order: Order) -> Order:
    """Recompute what the API derives from items and status events, and the stored document.

    Needs the order's customer and addresses (select_related) to render without extra queries.
    """
    items = list(
        order.items.order_by("position", "id").values("id", "quantity", "price", "image_url")
    )
    order.derived_items_quantity = sum(item["quantity"] for item in items) if items else None
    top = None
    for item in items:  # first item wins a tie on the highest unit price
        if top is None or item["price"] > top["price"]:
            top = item
    order.derived_top_item_image_url = top["image_url"] if top else ""
    # The item whose image is the highlighted one: the first showing the stored image, else
    # the priciest item when it has an image. None when no item shows the highlighted image.
    stored = order.highlighted_item_image_url
    if stored:
        highlighted = next((item for item in items if item["image_url"] == stored), None)
    else:
        highlighted = top if top and top["image_url"] else None
    order.derived_highlighted_item_id = highlighted["id"] if highlighted else None

    latest = order.status_events.order_by("-status_date_time", "-id").first()
    order.latest_generic_type = latest.generic_type if latest else ""
    order.latest_detailed_type = latest.detailed_type if latest else ""
    order.latest_status_at = latest.status_date_time if latest else None
    order.latest_status_description = latest.description if latest else ""
    order.document = render_document(order)
    order.save(update_fields=[*_DERIVED_FIELDS, "document", "updated_at"])
    return order


@transaction.atomic
def orders_refresh_documents(*, orders: QuerySet[Order]) -> int:
    """Re-render the stored documents of these orders, e.g. after an address they embed changed."""
    count = 0
    for order in orders.select_related("customer", "shipping_address", "billing_address"):
        order.document = render_document(order)
        order.save(update_fields=["document", "updated_at"])
        count += 1
    return count


def orders_embedding(*, addresses: list[Address] | list[int]) -> QuerySet[Order]:
    """The orders whose stored documents embed one of these addresses."""
    return Order.objects.filter(
        Q(shipping_address__in=addresses) | Q(billing_address__in=addresses)
    )
