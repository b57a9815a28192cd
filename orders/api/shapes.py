"""ERC wire shapes only the API serves: envelopes, the customer detail and contacts."""

from __future__ import annotations

from typing import Any

from orders.documents.body import (
    address_body,
    custom_fields_body,
    customer_body,
    item_body,
    money,
    order_body,
    status_event_body,
)
from orders.models import Customer, Order
from orders.rules.money import money_average
from orders.rules.times import rfc3339


def average_order_value(customer: Customer) -> dict[str, Any] | None:
    """The mean final total of the customer's orders that are not canceled, when they all
    share one currency (annotated by selectors.customer_get(order_value=True))."""
    if not customer.order_count or customer.order_currencies != 1:
        return None
    value = money_average(customer.order_total, customer.order_count, customer.order_currency)
    return money(value, customer.order_currency)


def customer_detail_body(customer: Customer, *, self_href: str) -> dict[str, Any]:
    """The customer with every address (prefetched by selectors.customer_get)."""
    body = customer_body(customer)
    body["addresses"] = [address_body(address) for address in customer.addresses.all()]
    value = average_order_value(customer)
    if value is not None:
        body["average_order_value"] = value
    body["_links"] = {"self": {"href": self_href}}
    return body


def contact_body(customer: Customer, *, self_href: str) -> dict[str, Any]:
    """Talkdesk's contact: customer_id, name, created_at and updated_at always present."""
    body: dict[str, Any] = {
        "customer_id": customer.external_id,
        "name": customer.full_name,
    }
    if customer.brand:
        body["brand"] = customer.brand
    # Created: when the source registered the customer, else when ercdash first stored them.
    body["created_at"] = rfc3339(customer.customer_since or customer.created_at)
    body["updated_at"] = rfc3339(customer.updated_at)
    body["emails"] = [customer.email] if customer.email else []
    body["phones"] = [customer.phone_number] if customer.phone_number else []
    if customer.custom_fields:
        body["custom_fields"] = custom_fields_body(customer.custom_fields)
    body["_links"] = {"self": {"href": self_href}}
    return body


def most_recent_order_body(order: Order, *, self_href: str) -> dict[str, Any]:
    """The order plus its whole timeline, oldest first, the index of the latest event, and
    the item whose image is the highlighted one."""
    body = order_body(order, self_href=self_href)
    links = body.pop("_links")
    events = list(order.status_events.all())
    body["status_info"] = [status_event_body(event) for event in events]
    if events:
        # Oldest first with ties in recording order, so the latest event is always the last.
        body["status_info_current_index"] = len(events) - 1
    if order.derived_highlighted_item is not None:
        body["highlighted_item"] = item_body(order.derived_highlighted_item)
    body["_links"] = links
    return body


def cursor_list_body(
    key: str, entries: list[dict[str, Any]], *, self_href: str, next_href: str | None
) -> dict[str, Any]:
    links: dict[str, Any] = {"self": {"href": self_href}}
    if next_href:
        links["next"] = {"href": next_href}
    return {"_embedded": {key: entries}, "_links": links}


def page_body(
    key: str,
    entries: list[dict[str, Any]],
    *,
    total: int,
    page: int,
    per_page: int,
    total_pages: int,
    links: dict[str, str],
) -> dict[str, Any]:
    return {
        "total": total,
        "count": len(entries),
        "page": page,
        "per_page": per_page,
        "total_pages": total_pages,
        "_embedded": {key: entries},
        "_links": {name: {"href": href} for name, href in links.items()},
    }
