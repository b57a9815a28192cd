from __future__ import annotations

import itertools
import json
from http import HTTPStatus

import pytest

from tests.conftest import READ, WRITE, event

ORDER = "/erc/ecommerce/customers/customer123/orders/order123"
STAGES = {
    "none": [],
    "UNKNOWN": [event("UNKNOWN")],
    "CONFIRMED": [event("CONFIRMED")],
    "ON_ITS_WAY": [event("CONFIRMED"), event("ON_ITS_WAY", day=15)],
    "OUT_FOR_DELIVERY": [event("CONFIRMED"), event("OUT_FOR_DELIVERY", day=15)],
    "DELIVERED": [event("CONFIRMED"), event("DELIVERED", day=15)],
}
DELIVERY_TYPES = ["", "UNKNOWN", "LOCAL_DELIVERY", "LOCAL_PICKUP", "SHIPPING"]


@pytest.mark.parametrize(
    ("stage", "delivery_type", "in_a_parcel", "canceled"),
    list(itertools.product(STAGES, DELIVERY_TYPES, [False, True], [False, True])),
)
def test_the_flag_and_the_action_agree_through_the_api(
    client, bearer, make_order, make_shipment, stage, delivery_type, in_a_parcel, canceled
):
    order = make_order(
        events=STAGES[stage],
        delivery_type=delivery_type,
        cancellation_status="CANCELED" if canceled else "",
        items=[{"name": "Mug", "quantity": 2, "price": "5.25"}],
    )
    if in_a_parcel:
        make_shipment(order, lines=[(order.items.get(), 1)])
    auth = bearer(READ, WRITE)
    expected = (
        stage in ("none", "UNKNOWN", "CONFIRMED")
        and delivery_type != "LOCAL_PICKUP"
        and not in_a_parcel
        and not canceled
    )

    flag = client.get(ORDER, **auth).json()["is_change_shipping_address_allowed"]
    response = client.post(
        ORDER + "/change-shipping-address",
        data=json.dumps({"city": "Porto", "region_code": "PT-13", "zip_code": "4000-322"}),
        content_type="application/json",
        **auth,
    )

    assert flag is expected
    assert response.status_code == (HTTPStatus.OK if expected else HTTPStatus.UNPROCESSABLE_ENTITY)
    if expected:
        assert response.json()["shipping_address"]["city"] == "Porto"
