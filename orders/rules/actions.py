"""What an order's state allows, and the order-level statuses derived from it.

Each action is a state: the order fields and the values they may hold. The same state gives
the boolean the order bodies carry (is_cancellable, ...) and the WHERE clause of the action's
conditional UPDATE, so a flag and its action can never disagree.
"""

from __future__ import annotations

from typing import Any

# Not shipped yet: no status, UNKNOWN or CONFIRMED.
NOT_SHIPPED_GENERIC_TYPES = ("", "UNKNOWN", "CONFIRMED")
SHIPPED_GENERIC_TYPES = ("ON_ITS_WAY", "OUT_FOR_DELIVERY", "DELIVERED")

State = dict[str, tuple[str, ...]]

# Cancel: not canceled (nor a cancellation requested), and not shipped.
CANCELLABLE: State = {
    "cancellation_status": ("",),
    "latest_generic_type": NOT_SHIPPED_GENERIC_TYPES,
}
# Change the shipping address: as for cancel, and not a store pickup (the address is the
# store's). Nothing shipped is also a condition once orders have shipments.
SHIPPING_ADDRESS_CHANGEABLE: State = {
    **CANCELLABLE,
    "delivery_type": ("", "UNKNOWN", "LOCAL_DELIVERY", "SHIPPING"),
}


def allows(state: State, order: Any) -> bool:
    """Whether the order (any object with the state's fields) is in the state."""
    return all(getattr(order, field) in values for field, values in state.items())


def state_filter(state: State) -> dict[str, tuple[str, ...]]:
    """The state as queryset filter keyword arguments."""
    return {f"{field}__in": values for field, values in state.items()}


def can_cancel(order: Any) -> bool:
    return allows(CANCELLABLE, order)


def can_change_shipping_address(order: Any) -> bool:
    return allows(SHIPPING_ADDRESS_CHANGEABLE, order)


class FulfillmentStatus:
    UNFULFILLED = "UNFULFILLED"
    PARTIALLY_FULFILLED = "PARTIALLY_FULFILLED"
    FULFILLED = "FULFILLED"
    CHOICES = (UNFULFILLED, PARTIALLY_FULFILLED, FULFILLED)


def fulfillment_status(order: Any) -> str:
    """Shipped against ordered quantities. Orders have no parcels yet, so the order's own
    timeline decides: once it is on its way, everything ordered has shipped."""
    if order.latest_generic_type in SHIPPED_GENERIC_TYPES:
        return FulfillmentStatus.FULFILLED
    return FulfillmentStatus.UNFULFILLED
