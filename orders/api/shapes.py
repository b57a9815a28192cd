"""ERC wire shapes only the API serves: envelopes, the customer detail and contacts."""

from __future__ import annotations

from typing import Any

from orders.documents.body import address_body, customer_body, order_body, status_event_body
from orders.models import Customer, Order


def customer_detail_body(customer: Customer, *, self_href: str) -> dict[str, Any]:
    """The customer with every address (prefetched by selectors.customer_get)."""
    body = customer_body(customer)
    body["addresses"] = [address_body(address) for address in customer.addresses.all()]
    body["_links"] = {"self": {"href": self_href}}
    return body


def contact_body(customer: Customer, *, self_href: str) -> dict[str, Any]:
    body = customer_body(customer)
    body["_links"] = {"self": {"href": self_href}}
    return body


def most_recent_order_body(order: Order, *, self_href: str) -> dict[str, Any]:
    """The order plus its whole timeline, oldest first, and the index of the latest event."""
    body = order_body(order, self_href=self_href)
    links = body.pop("_links")
    events = list(order.status_events.all())
    body["status_info"] = [status_event_body(event) for event in events]
    if events:
        # Oldest first with ties in recording order, so the latest event is always the last.
        body["status_info_current_index"] = len(events) - 1
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
