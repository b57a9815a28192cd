"""What an order's state allows, and the order-level statuses derived from it.

Each action is a state: the order fields and the values they may hold. The same state gives
the boolean the order bodies carry (is_cancellable, ...) and the WHERE clause of the action's
conditional UPDATE, so a flag and its action can never disagree.
"""

from __future__ import annotations

from typing import Any

from orders.rules import shipments

# Not shipped yet: no status, UNKNOWN or CONFIRMED.
NOT_SHIPPED_GENERIC_TYPES = ("", "UNKNOWN", "CONFIRMED")
SHIPPED_GENERIC_TYPES = ("ON_ITS_WAY", "OUT_FOR_DELIVERY", "DELIVERED")

State = dict[str, tuple[str, ...]]

# Cancel: not canceled (nor a cancellation requested), not shipped, and no item in a parcel
# (a parcel on its way is not recalled by a cancel). fulfillment_status is the order's stored
# shipped-vs-ordered status, kept by services.order_refresh (rules.shipments.fulfillment_status).
CANCELLABLE: State = {
    "cancellation_status": ("",),
    "latest_generic_type": NOT_SHIPPED_GENERIC_TYPES,
    "fulfillment_status": (shipments.UNFULFILLED,),
}
# Change the shipping address: as for cancel (nothing shipped, nothing in a parcel), and not
# a store pickup (the address is the store's).
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
