"""Changing an order's shipping address: the new address, its audit row and timeline event."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils import timezone

from orders.documents.body import address_body
from orders.models import AccessAudit, Address, GenericType, Order, StatusEvent
from orders.rules import actions, addresses
from orders.services.audit import audit_record
from orders.services.documents import order_refresh
from orders.services.transactions import write_transaction

TIMELINE_DESCRIPTION = "Shipping address changed"
# A parcel needs a street and a country; every other field may stay empty.
REQUIRED_FIELDS = ("address", "country_code")
REQUIRED_DESCRIPTION = "This field is required."
# Concurrent changes to one order each retry on the address the other one left; this many
# rounds is far beyond what agents and integrations redirecting one parcel ever produce.
MAX_ROUNDS = 10

_STATE_FIELDS = [
    "cancellation_status",
    "latest_generic_type",
    "latest_detailed_type",
    "latest_status_at",
    "fulfillment_status",
    "delivery_type",
    "shipping_address_changed_at",
    "updated_at",
]


class ShippingAddressNotChangeable(Exception):
    """The order's state does not allow a new shipping address; the message says why."""


class ShippingAddressInvalid(Exception):
    """The new address breaks the address rules: problems as [(field, description)]."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems


def address_values(address: Address | None) -> dict[str, str]:
    """The address's own fields ("" for every field when there is no address)."""
    return {name: getattr(address, name) if address else "" for name in addresses.FIELDS}


def shipping_address_proposal(
    *,
    current: Address | None,
    changes: Mapping[str, Any],
    fallback_phone_region: str | None = None,
) -> dict[str, str]:
    """The address `changes` makes of `current`, checked by the address rules.

    Fields left out (or None) keep their current value. ShippingAddressInvalid names every
    bad field.
    """
    merged = {
        **address_values(current),
        **{name: value for name, value in changes.items() if value is not None},
    }
    cleaned, problems = addresses.check(merged, fallback_phone_region=fallback_phone_region)
    bad = {name for name, _ in problems}
    problems += [
        (name, REQUIRED_DESCRIPTION)
        for name in REQUIRED_FIELDS
        if name not in bad and not cleaned.get(name)
    ]
    if problems:
        order_of = {name: index for index, name in enumerate(addresses.FIELDS)}
        problems.sort(key=lambda problem: order_of.get(problem[0], len(order_of)))
        raise ShippingAddressInvalid(problems)
    return cleaned


def _not_changeable(order: Order) -> ShippingAddressNotChangeable:
    if order.is_canceled:
        return ShippingAddressNotChangeable(f"Order {order.external_id} is canceled.")
    if order.delivery_type == "LOCAL_PICKUP":
        return ShippingAddressNotChangeable(
            f"Order {order.external_id} is picked up in store: it has no address to change."
        )
    return ShippingAddressNotChangeable(
        f"Order {order.external_id} has left the warehouse: its address can no longer change."
    )


def _address_for(order: Order, values: dict[str, str]) -> Address:
    """The customer's address with exactly these values and no id, else a new one.

    The old address stays as it was: it may be the billing address, another order's, or
    an entry of the customer's own address book.
    """
    match = Address.objects.filter(
        customer_id=order.customer_id, external_id="", is_default=False, **values
    ).first()
    return match or Address.objects.create(customer_id=order.customer_id, **values)


@write_transaction
def order_change_shipping_address(
    *,
    order: Order,
    changes: Mapping[str, Any] | None = None,
    address: Address | None = None,
    actor: str,
    channel: str,
    user=None,
    request_id: str = "",
    fallback_phone_region: str | None = None,
) -> Order:
    """Send the order to a new address: `changes` over its current shipping address, or
    `address`, one of the customer's saved addresses (the admin's choice).

    ShippingAddressInvalid when the resulting address breaks the address rules;
    ShippingAddressNotChangeable when the order may not be redirected (rules.actions, the
    state its is_change_shipping_address_allowed flag is computed from). A conditional
    UPDATE decides, as for cancel: it applies only while the order is still in that state
    and still points at the address the change was made from, so a change racing a cancel,
    a shipment or another change ends in one outcome on any database. A change that lost to
    another change is made again on the address the other one left.
    """
    for _round in range(MAX_ROUNDS):
        # Reload only plain fields: a full refresh would drop the loaded customer.
        order.refresh_from_db(fields=[*_STATE_FIELDS, "shipping_address"])
        previous = order.shipping_address
        if address is not None:
            if address.customer_id != order.customer_id:
                raise ShippingAddressInvalid([("address", "Is another customer's address.")])
            shipping_address_proposal(
                current=address, changes={}, fallback_phone_region=fallback_phone_region
            )
            target = address
            unchanged = previous is not None and previous.pk == address.pk
        else:
            values = shipping_address_proposal(
                current=previous, changes=changes or {}, fallback_phone_region=fallback_phone_region
            )
            target = None
            unchanged = values == address_values(previous)
        if not actions.can_change_shipping_address(order):
            raise _not_changeable(order)
        if unchanged:
            return order  # nothing to change: no new address, audit row or event
        target = target or _address_for(order, values)
        now = timezone.now()
        updated = Order.objects.filter(
            pk=order.pk,
            shipping_address_id=previous.pk if previous else None,
            **actions.state_filter(actions.SHIPPING_ADDRESS_CHANGEABLE),
        ).update(shipping_address=target, shipping_address_changed_at=now, updated_at=now)
        if updated:
            break
        # Lost the race: to a cancel or a shipment (the next round says so) or to another
        # change (the next round starts from its address).
    else:
        raise ShippingAddressNotChangeable(
            f"Order {order.external_id} is being changed by someone else; try again."
        )
    order.refresh_from_db(fields=_STATE_FIELDS)
    order.shipping_address = target
    audit_record(
        actor=actor,
        user=user,
        channel=channel,
        action=AccessAudit.Action.CHANGE_SHIPPING_ADDRESS,
        customer_id=order.customer.external_id,
        order_id=order.external_id,
        request_id=request_id,
        changes={"before": address_body(previous), "after": address_body(target)},
    )
    # The timeline says what happened, at the stage the order had reached (as for cancel).
    # The actor stays out of it: API clients see the timeline; the audit row names them.
    StatusEvent.objects.create(
        order=order,
        generic_type=order.latest_generic_type or GenericType.UNKNOWN,
        detailed_type=order.latest_detailed_type,
        status_date_time=max(now, order.latest_status_at) if order.latest_status_at else now,
        description=TIMELINE_DESCRIPTION,
        is_local=True,
    )
    return order_refresh(order=order)
